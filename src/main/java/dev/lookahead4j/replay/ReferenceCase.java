package dev.lookahead4j.replay;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.Pullback;
import dev.lookahead4j.internal.Json;
import dev.lookahead4j.optim.InnerOptimizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A reference trajectory case (shared/reference README §4): the inner optimizer, the Lookahead settings,
 * initial values, per-step gradients and the expected parameters and slow weights at some steps.
 * {@link #replay(Device)} runs it through {@link Optimizer} and returns the observed trajectory.
 */
public final class ReferenceCase {
    public final String file;
    public final String name;
    public final Map<String, Object> innerMap;
    public final InnerOptimizer inner;
    public final Lookahead lookahead;
    public final int steps;
    public final List<String> tensorNames = new ArrayList<>();
    public final List<Integer> tensorSizes = new ArrayList<>();
    public final Map<String, float[]> init = new LinkedHashMap<>();
    public final Map<String, float[]> grads = new LinkedHashMap<>();
    public final int[] afterStep;
    /** Expected params/slow by step (null when the file has no expectations). */
    public final Map<Integer, Map<String, float[]>> expectParams, expectSlow;
    private final Map<String, Object> raw;

    private ReferenceCase(String file, Map<String, Object> m) {
        this.file = file;
        this.raw = m;
        Object fv = m.get("format_version");
        if (!(fv instanceof Long v) || v != 1) throw err("format_version", "expected 1, got " + fv);
        this.name = str(m, "name");
        this.innerMap = obj(m, "inner");
        try {
            this.inner = InnerOptimizer.fromMap(innerMap);
        } catch (IllegalArgumentException e) {
            throw err("inner", e.getMessage());
        }
        Object la = m.get("lookahead");
        if (la == null) {
            if (!m.containsKey("lookahead")) throw err("lookahead", "missing (use null for a plain inner optimizer)");
            this.lookahead = null;
        } else {
            Map<String, Object> l = obj(m, "lookahead");
            int k = (int) integer(l, "lookahead.k", 1, Integer.MAX_VALUE);
            double alpha = number(l, "lookahead.alpha");
            Object pb = l.getOrDefault("pullback", "none");
            Pullback p;
            if ("none".equals(pb)) p = Pullback.NONE;
            else if ("reset".equals(pb)) p = Pullback.RESET;
            else if ("pullback".equals(pb)) p = Pullback.PULLBACK;
            else throw err("lookahead.pullback", "expected \"none\", \"reset\" or \"pullback\", got " + pb);
            try {
                this.lookahead = new Lookahead(k, alpha, p);
            } catch (IllegalArgumentException e) {
                throw err("lookahead", e.getMessage());
            }
        }
        Object dt = m.get("dtype");
        if (dt != null && !"float32".equals(dt)) throw err("dtype", "only float32 is supported, got " + dt);
        this.steps = (int) integer(m, "steps", 1, 10_000_000);
        Object ts = m.get("tensors");
        if (!(ts instanceof List<?> tl) || tl.isEmpty()) throw err("tensors", "expected a non-empty list");
        for (int i = 0; i < tl.size(); i++) {
            if (!(tl.get(i) instanceof Map<?, ?> t)) throw err("tensors[" + i + "]", "expected an object");
            @SuppressWarnings("unchecked") Map<String, Object> tm = (Map<String, Object>) t;
            String n = str(tm, "tensors[" + i + "].name", "name");
            if (tensorNames.contains(n)) throw err("tensors[" + i + "].name", "duplicate tensor name '" + n + "'");
            tensorNames.add(n);
            tensorSizes.add((int) integer(tm, "tensors[" + i + "].size", "size", 1, Integer.MAX_VALUE));
        }
        Map<String, Object> in = obj(m, "init");
        Map<String, Object> gr = obj(m, "grads");
        for (int i = 0; i < tensorNames.size(); i++) {
            String n = tensorNames.get(i);
            int size = tensorSizes.get(i);
            init.put(n, floats(in, "init." + n, n, size));
            grads.put(n, floats(gr, "grads." + n, n, (long) size * steps));
        }
        Map<String, Object> ex = m.get("expect") == null ? null : obj(m, "expect");
        if (ex != null && ex.get("after_step") != null) {
            Object as = ex.get("after_step");
            if (!(as instanceof List<?> al)) throw err("expect.after_step", "expected a list of step numbers");
            afterStep = new int[al.size()];
            for (int i = 0; i < al.size(); i++) {
                if (!(al.get(i) instanceof Long s) || s < 1 || s > steps) throw err("expect.after_step[" + i + "]", "expected an integer in [1, " + steps + "], got " + al.get(i));
                afterStep[i] = (int) (long) s;
                if (i > 0 && afterStep[i] <= afterStep[i - 1]) throw err("expect.after_step", "must be strictly increasing");
            }
            expectParams = expectation(ex, "params");
            expectSlow = lookahead == null ? null : expectation(ex, "slow");
        } else {
            afterStep = defaultAfterStep();
            expectParams = null;
            expectSlow = null;
        }
    }

    private int[] defaultAfterStep() {
        int k = lookahead == null ? 5 : lookahead.syncPeriod();
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>();
        for (int x : new int[] {1, k - 1, k, k + 1, 2 * k, steps}) if (x >= 1 && x <= steps) s.add(x);
        return s.stream().mapToInt(Integer::intValue).toArray();
    }

    private Map<Integer, Map<String, float[]>> expectation(Map<String, Object> ex, String key) {
        if (ex.get(key) == null) return null;
        Map<String, Object> byStep = obj(ex, key, "expect." + key);
        Map<Integer, Map<String, float[]>> out = new TreeMap<>();
        for (int s : afterStep) {
            String f = "expect." + key + "." + s;
            Object o = byStep.get(String.valueOf(s));
            if (!(o instanceof Map<?, ?>)) throw err(f, "missing for a step listed in after_step");
            @SuppressWarnings("unchecked") Map<String, Object> tm = (Map<String, Object>) o;
            Map<String, float[]> vals = new LinkedHashMap<>();
            for (int i = 0; i < tensorNames.size(); i++) {
                vals.put(tensorNames.get(i), floats(tm, f + "." + tensorNames.get(i), tensorNames.get(i), tensorSizes.get(i)));
            }
            out.put(s, vals);
        }
        return out;
    }

    /** Reads and validates a case file. */
    public static ReferenceCase load(Path path) throws IOException {
        String file = path.toString();
        String text = Files.readString(path, StandardCharsets.UTF_8);
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.JsonException e) {
            throw new CaseFormatException(file, "(json)", e.getMessage());
        }
        if (!(root instanceof Map<?, ?>)) throw new CaseFormatException(file, "(root)", "expected a JSON object");
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) root;
        return new ReferenceCase(file, m);
    }

    /** The trajectory observed when replaying on {@code device}: params (and slow) after each step of {@link #afterStep}. */
    public Result replay(Device device) {
        ParamArena.Builder ab = ParamArena.builder();
        for (int i = 0; i < tensorNames.size(); i++) ab.add(tensorNames.get(i), tensorSizes.get(i));
        Result r = new Result();
        try (ParamArena arena = ab.build(device)) {
            for (String n : tensorNames) arena.setValues(n, init.get(n));
            try (Optimizer opt = Optimizer.builder(arena, inner).lookahead(lookahead).build()) {
                int next = 0;
                for (int s = 1; s <= steps; s++) {
                    for (int i = 0; i < tensorNames.size(); i++) {
                        String n = tensorNames.get(i);
                        int size = tensorSizes.get(i);
                        float[] g = new float[size];
                        System.arraycopy(grads.get(n), (s - 1) * size, g, 0, size);
                        arena.setGrad(n, g);
                    }
                    opt.step();
                    if (next < afterStep.length && afterStep[next] == s) {
                        next++;
                        Map<String, float[]> p = new LinkedHashMap<>(), sl = new LinkedHashMap<>();
                        for (String n : tensorNames) {
                            p.put(n, arena.values(n));
                            if (lookahead != null) sl.put(n, opt.slowValues(n));
                        }
                        r.params.put(s, p);
                        if (lookahead != null) r.slow.put(s, sl);
                    }
                }
            }
        }
        return r;
    }

    /** An observed trajectory. */
    public static final class Result {
        public final Map<Integer, Map<String, float[]>> params = new TreeMap<>();
        public final Map<Integer, Map<String, float[]>> slow = new TreeMap<>();
    }

    /** This case as a result file (same format, {@code expect} from {@code r}). */
    public String toResultJson(Result r) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : new String[] {"format_version", "name", "description", "seed", "dtype", "inner", "lookahead", "steps", "tensors", "tolerance"}) {
            if (raw.containsKey(k)) out.put(k, raw.get(k));
        }
        Map<String, Object> expect = new LinkedHashMap<>();
        List<Object> as = new ArrayList<>();
        for (int s : afterStep) as.add((long) s);
        expect.put("after_step", as);
        expect.put("params", encode(r.params));
        if (lookahead != null) expect.put("slow", encode(r.slow));
        out.put("expect", expect);
        return Json.write(out);
    }

    private static Map<String, Object> encode(Map<Integer, Map<String, float[]>> byStep) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<Integer, Map<String, float[]>> e : byStep.entrySet()) {
            Map<String, Object> t = new LinkedHashMap<>();
            for (Map.Entry<String, float[]> v : e.getValue().entrySet()) t.put(v.getKey(), base64(v.getValue()));
            m.put(String.valueOf(e.getKey()), t);
        }
        return m;
    }

    public static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return Base64.getEncoder().encodeToString(b.array());
    }

    // ------------------------------------------------------------------ field access with messages

    private CaseFormatException err(String field, String msg) {
        return new CaseFormatException(file, field, msg);
    }

    private String str(Map<String, Object> m, String key) { return str(m, key, key); }

    private String str(Map<String, Object> m, String field, String key) {
        Object v = m.get(key);
        if (!(v instanceof String s) || s.isEmpty()) throw err(field, "expected a non-empty string, got " + v);
        return s;
    }

    private Map<String, Object> obj(Map<String, Object> m, String key) { return obj(m, key, key); }

    @SuppressWarnings("unchecked")
    private Map<String, Object> obj(Map<String, Object> m, String key, String field) {
        Object v = m.get(key);
        if (!(v instanceof Map<?, ?>)) throw err(field, v == null ? "missing" : "expected an object");
        return (Map<String, Object>) v;
    }

    private long integer(Map<String, Object> m, String key, long min, long max) {
        return integer(m, key, key.substring(key.lastIndexOf('.') + 1), min, max);
    }

    private long integer(Map<String, Object> m, String field, String key, long min, long max) {
        Object v = m.get(key);
        if (!(v instanceof Long l) || l < min || l > max) throw err(field, "expected an integer in [" + min + ", " + max + "], got " + v);
        return l;
    }

    private double number(Map<String, Object> m, String field) {
        Object v = m.get(field.substring(field.lastIndexOf('.') + 1));
        if (!(v instanceof Number n)) throw err(field, "expected a number, got " + v);
        return n.doubleValue();
    }

    private float[] floats(Map<String, Object> m, String field, String key, long count) {
        Object v = m.get(key);
        if (!(v instanceof String s)) throw err(field, v == null ? "missing" : "expected a base64 string");
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw err(field, "invalid base64: " + e.getMessage());
        }
        if (bytes.length != count * 4) throw err(field, "expected " + count + " float32 values (" + count * 4 + " bytes), got " + bytes.length + " bytes");
        float[] out = new float[(int) count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
