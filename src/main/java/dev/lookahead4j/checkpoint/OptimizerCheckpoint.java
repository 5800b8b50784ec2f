package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.CheckpointException.Reason.*;

import dev.lookahead4j.GroupOptions;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.Param;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.ParamGroup;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.internal.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The bridge between {@link Optimizer} and the checkpoint file (internal: call
 * {@link Optimizer#save(Path)} and {@link Optimizer#load(Path)} instead). Saving streams every buffer
 * parameter by parameter, without the arena's alignment padding. Loading {@link #stage stages} the whole
 * file into host arrays and checks everything (structure, checksums, names, sizes, configuration,
 * counters) before {@link Staged#writeInto} touches a single buffer.
 */
public final class OptimizerCheckpoint {
    private OptimizerCheckpoint() { }

    /** The optimizer's scalar state (everything that is not a buffer). */
    public record Counters(long stepCount, boolean slowReady, double[] hostState, long skippedSteps) {
        public Counters {
            hostState = hostState.clone();
        }

        @Override public double[] hostState() { return hostState.clone(); }
    }

    /** Tensor kind of the parameter values. */
    public static final String PARAMS = "params";

    /** Writes {@code opt}'s complete state to {@code path} (atomically). The caller holds the optimizer's guard. */
    public static void save(Optimizer opt, Counters counters, Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("Invalid path: null");
        ParamArena arena = opt.arena();
        Map<String, Buffer> buffers = buffers(opt);
        List<CheckpointWriter.Tensor> tensors = new ArrayList<>();
        for (Map.Entry<String, Buffer> e : buffers.entrySet()) {
            // before the first step the slow weights are, by definition, the parameters
            Buffer b = e.getKey().equals("slow") && !counters.slowReady() ? arena.valuesBuffer() : e.getValue();
            for (Param p : arena.params()) {
                long base = p.offset();
                tensors.add(new CheckpointWriter.Tensor(e.getKey() + "/" + p.name(), p.size(),
                        (off, dst, len) -> b.read(base + off, dst, 0, len)));
            }
        }
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("step_count", counters.stepCount());
        state.put("slow_ready", counters.slowReady());
        opt.lookahead().ifPresent(l -> state.put("lookahead_cycle_position", counters.stepCount() % l.syncPeriod()));
        List<Object> host = new ArrayList<>();
        for (double d : counters.hostState()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("bits", String.format("%016x", Double.doubleToRawLongBits(d)));
            h.put("value", Double.isFinite(d) ? d : String.valueOf(d));
            host.add(h);
        }
        state.put("host_state", host);
        state.put("skipped_steps", counters.skippedSteps());
        state.put("tensor_kinds", new ArrayList<>(buffers.keySet()));
        state.put("device", arena.device().describe());
        CheckpointWriter.write(path, config(opt), state, tensors);
    }

    /** The configuration as written to {@code __metadata__.config}. */
    public static Map<String, Object> config(Optimizer opt) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("inner", opt.inner().toMap());
        Lookahead l = opt.lookahead().orElse(null);
        if (l == null) {
            c.put("lookahead", null);
        } else {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("k", (long) l.syncPeriod());
            m.put("alpha", l.slowStepSize());
            m.put("pullback", l.pullback().name().toLowerCase(Locale.ROOT));
            c.put("lookahead", m);
        }
        c.put("non_finite_policy", opt.nonFinitePolicy().name());
        List<Object> groups = new ArrayList<>();
        for (ParamGroup g : opt.arena().groups()) {
            Map<String, Object> gm = new LinkedHashMap<>();
            gm.put("name", g.name());
            GroupOptions o = opt.groupOptions().get(g.name());
            gm.put("lr", o == null ? null : o.lr());
            gm.put("weight_decay", o == null ? null : o.weightDecay());
            List<Object> ps = new ArrayList<>();
            for (Param p : g.params()) {
                Map<String, Object> pm = new LinkedHashMap<>();
                pm.put("name", p.name());
                pm.put("size", (long) p.size());
                ps.add(pm);
            }
            gm.put("params", ps);
            groups.add(gm);
        }
        c.put("groups", groups);
        return c;
    }

    /** Parameter values first, then the state buffers in the optimizer's order. */
    private static Map<String, Buffer> buffers(Optimizer opt) {
        Map<String, Buffer> m = new LinkedHashMap<>();
        m.put(PARAMS, opt.arena().valuesBuffer());
        m.putAll(opt.stateBuffers());
        return m;
    }

    // ------------------------------------------------------------------ loading

    /** A fully validated checkpoint held in host memory, ready to be written into the optimizer. */
    public static final class Staged {
        private final Counters counters;
        private final Map<String, float[]> tensors;

        private Staged(Counters counters, Map<String, float[]> tensors) {
            this.counters = counters;
            this.tensors = tensors;
        }

        public Counters counters() { return counters; }

        /** Writes every staged tensor into {@code opt}'s buffers (no checks left that could fail). */
        public void writeInto(Optimizer opt) {
            ParamArena arena = opt.arena();
            for (Map.Entry<String, Buffer> e : buffers(opt).entrySet()) {
                for (Param p : arena.params()) {
                    e.getValue().write(p.offset(), tensors.get(e.getKey() + "/" + p.name()), 0, p.size());
                }
            }
        }
    }

    /** Reads and checks {@code path} against {@code opt} without changing {@code opt}. */
    public static Staged stage(Optimizer opt, Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("Invalid path: null");
        try (Checkpoint c = Checkpoint.open(path)) {
            return stage(opt, c);
        }
    }

    static Staged stage(Optimizer opt, Checkpoint c) throws IOException {
        String src = c.source();
        checkConfig(opt, c.config(), src);
        Counters counters = counters(opt, c.state(), src);
        ParamArena arena = opt.arena();
        Map<String, Buffer> buffers = buffers(opt);
        Set<String> expected = new LinkedHashSet<>();
        for (String kind : buffers.keySet()) for (Param p : arena.params()) expected.add(kind + "/" + p.name());
        for (String name : expected) {
            Checkpoint.TensorInfo t = c.tensors().get(name);
            if (t == null) {
                throw new CheckpointException(MISSING_TENSOR, name, src + ": no tensor '" + name + "'; this optimizer keeps " + buffers.keySet()
                        + " for every parameter");
            }
            long size = arena.param(name.substring(name.indexOf('/') + 1)).size();
            if (t.size() != size) {
                throw new CheckpointException(SIZE_MISMATCH, name, src + ": the file has " + t.size() + " elements, the parameter has " + size);
            }
        }
        for (String name : c.tensors().keySet()) {
            if (!expected.contains(name)) {
                throw new CheckpointException(UNEXPECTED_TENSOR, name, src + ": tensor '" + name + "' does not belong to this optimizer (it keeps "
                        + buffers.keySet() + " for each of its " + arena.params().size() + " parameters)");
            }
        }
        Map<String, float[]> staged = new LinkedHashMap<>();
        for (String name : expected) {
            Checkpoint.TensorInfo t = c.tensors().get(name);
            float[] a = new float[(int) t.size()];
            c.readInto(t, a);
            staged.put(name, a);
        }
        return new Staged(counters, staged);
    }

    private static Counters counters(Optimizer opt, Map<String, Object> s, String src) throws CheckpointException {
        if (!(s.get("step_count") instanceof Long step) || step < 0) {
            throw new CheckpointException(STATE, "state.step_count", src + ": " + Checkpoint.describe(s.get("step_count")) + "; expected an integer >= 0");
        }
        if (!(s.get("slow_ready") instanceof Boolean slowReady)) {
            throw new CheckpointException(STATE, "state.slow_ready", src + ": " + Checkpoint.describe(s.get("slow_ready")) + "; expected true or false");
        }
        boolean lookahead = opt.lookahead().isPresent();
        if (slowReady && !lookahead || !slowReady && lookahead && step > 0) {
            throw new CheckpointException(STATE, "state.slow_ready", src + ": " + slowReady + " does not fit step_count " + step
                    + (lookahead ? " with Lookahead (true once a step was taken)" : " without Lookahead (must be false)"));
        }
        long skipped = s.get("skipped_steps") instanceof Long k && k >= 0 ? k : 0;
        if (!(s.get("host_state") instanceof List<?> host) || host.size() != opt.inner().hostStateSize()) {
            throw new CheckpointException(STATE, "state.host_state", src + ": " + Checkpoint.describe(s.get("host_state")) + "; "
                    + opt.inner().typeName() + " keeps " + opt.inner().hostStateSize() + " host value(s)");
        }
        double[] hs = new double[host.size()];
        for (int i = 0; i < hs.length; i++) {
            Object bits = host.get(i) instanceof Map<?, ?> m ? m.get("bits") : null;
            if (!(bits instanceof String b) || b.length() != 16 || !b.chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
                throw new CheckpointException(STATE, "state.host_state[" + i + "].bits", src + ": " + Checkpoint.describe(bits) + "; expected 16 hex digits");
            }
            hs[i] = Double.longBitsToDouble(Long.parseUnsignedLong(b, 16));
        }
        return new Counters(step, slowReady, hs, skipped);
    }

    /** Everything that changes the trajectory must match; the non-finite policy may differ. */
    private static void checkConfig(Optimizer opt, Map<String, Object> saved, String src) throws CheckpointException {
        @SuppressWarnings("unchecked")
        Map<String, Object> mine = (Map<String, Object>) Json.parse(Json.write(config(opt)));
        Map<String, Object> savedInner = Checkpoint.asObject(saved.get("inner"), "config.inner", src);
        Map<String, Object> myInner = Checkpoint.asObject(mine.get("inner"), "config.inner", src);
        if (!Objects.equals(savedInner.get("type"), myInner.get("type"))) {
            throw new CheckpointException(OPTIMIZER_TYPE, "inner.type", src + ": written by " + Checkpoint.describe(savedInner.get("type"))
                    + ", this optimizer is " + Checkpoint.describe(myInner.get("type")));
        }
        compareFields("inner", savedInner, myInner, src);

        Object sl = saved.get("lookahead"), ml = mine.get("lookahead");
        if ((sl == null) != (ml == null)) {
            throw new CheckpointException(CONFIG_MISMATCH, "lookahead", src + ": the checkpoint " + (sl == null ? "has no" : "has")
                    + " Lookahead, this optimizer " + (ml == null ? "has none" : "has one") + " (" + Checkpoint.describe(ml) + ")");
        }
        if (sl != null) compareFields("lookahead", Checkpoint.asObject(sl, "config.lookahead", src), Checkpoint.asObject(ml, "config.lookahead", src), src);

        // parameters: by name, with size and group; the order in the arena does not matter
        Map<String, long[]> savedParams = new LinkedHashMap<>(); // name -> {size}
        Map<String, String> savedGroupOf = new LinkedHashMap<>();
        Map<String, Map<String, Object>> savedGroups = new LinkedHashMap<>();
        if (!(saved.get("groups") instanceof List<?> gl)) {
            throw new CheckpointException(HEADER_FORMAT, "config.groups", src + ": expected a list, got " + Checkpoint.describe(saved.get("groups")));
        }
        for (Object go : gl) {
            Map<String, Object> g = Checkpoint.asObject(go, "config.groups[]", src);
            if (!(g.get("name") instanceof String gname) || !(g.get("params") instanceof List<?> pl)) {
                throw new CheckpointException(HEADER_FORMAT, "config.groups[]", src + ": a group needs a name and params, got " + Checkpoint.describe(g));
            }
            savedGroups.put(gname, g);
            for (Object po : pl) {
                Map<String, Object> p = Checkpoint.asObject(po, "config.groups." + gname + ".params[]", src);
                if (!(p.get("name") instanceof String pname) || !(p.get("size") instanceof Long size)) {
                    throw new CheckpointException(HEADER_FORMAT, "config.groups." + gname + ".params[]", src + ": expected {name, size}, got " + Checkpoint.describe(p));
                }
                savedParams.put(pname, new long[] {size});
                savedGroupOf.put(pname, gname);
            }
        }
        ParamArena arena = opt.arena();
        for (Map.Entry<String, long[]> e : savedParams.entrySet()) {
            if (!arena.hasParam(e.getKey())) {
                throw new CheckpointException(UNEXPECTED_TENSOR, e.getKey(), src + ": parameter '" + e.getKey() + "' is not in this arena ("
                        + arena.params().size() + " parameters)");
            }
        }
        for (Param p : arena.params()) {
            long[] s = savedParams.get(p.name());
            if (s == null) {
                throw new CheckpointException(MISSING_TENSOR, p.name(), src + ": parameter '" + p.name() + "' of this arena is not in the checkpoint ("
                        + savedParams.size() + " parameters)");
            }
            if (s[0] != p.size()) {
                throw new CheckpointException(SIZE_MISMATCH, p.name(), src + ": parameter '" + p.name() + "' has " + s[0]
                        + " elements in the checkpoint, " + p.size() + " in this arena");
            }
            if (!savedGroupOf.get(p.name()).equals(p.group())) {
                throw new CheckpointException(CONFIG_MISMATCH, "groups." + p.name(), src + ": parameter '" + p.name() + "' is in group '"
                        + savedGroupOf.get(p.name()) + "' in the checkpoint, '" + p.group() + "' here");
            }
        }
        @SuppressWarnings("unchecked")
        List<Object> myGroups = (List<Object>) mine.get("groups");
        for (Object go : myGroups) {
            @SuppressWarnings("unchecked")
            Map<String, Object> g = (Map<String, Object>) go;
            Map<String, Object> sg = savedGroups.get((String) g.get("name"));
            for (String k : List.of("lr", "weight_decay")) {
                if (!Objects.equals(sg.get(k), g.get(k))) {
                    throw new CheckpointException(CONFIG_MISMATCH, "groups." + g.get("name") + "." + k, src + ": the checkpoint has "
                            + Checkpoint.describe(sg.get(k)) + ", this optimizer has " + Checkpoint.describe(g.get(k)) + " (null: the inner optimizer's)");
                }
            }
        }
    }

    private static void compareFields(String prefix, Map<String, Object> saved, Map<String, Object> mine, String src) throws CheckpointException {
        Set<String> keys = new LinkedHashSet<>(mine.keySet());
        keys.addAll(saved.keySet());
        for (String k : keys) {
            if (!Objects.equals(saved.get(k), mine.get(k))) {
                throw new CheckpointException(CONFIG_MISMATCH, prefix + "." + k, src + ": the checkpoint has " + Checkpoint.describe(saved.get(k))
                        + ", this optimizer has " + Checkpoint.describe(mine.get(k)));
            }
        }
    }
}
