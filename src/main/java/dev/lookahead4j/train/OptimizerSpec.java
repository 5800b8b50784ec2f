package dev.lookahead4j.train;

import dev.lookahead4j.optim.InnerOptimizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses an inner-optimizer spec for the command line: {@code NAME} or {@code NAME:key=value,...}.
 * NAME is one of sgd, adam, adamw, rmsprop, adagrad, radam, nadam; keys are PyTorch's argument names
 * (lr, momentum, dampening, nesterov, weight_decay, betas, eps, amsgrad, alpha, centered, lr_decay,
 * initial_accumulator_value, momentum_decay, maximize); values are numbers, {@code true}/{@code false},
 * and {@code betas=B1/B2}. Unset keys take PyTorch's defaults; for {@code sgd} the default lr is 0.01
 * (PyTorch requires one). Examples: {@code adam}, {@code adam:lr=3e-4}, {@code sgd:lr=0.1,momentum=0.9},
 * {@code adamw:lr=1e-3,weight_decay=0.05,betas=0.9/0.98}.
 */
public final class OptimizerSpec {
    /** The rule names accepted. */
    public static final List<String> NAMES = List.of("sgd", "adam", "adamw", "rmsprop", "adagrad", "radam", "nadam");
    private static final double SGD_DEFAULT_LR = 0.01;

    private OptimizerSpec() { }

    /** Parses {@code spec}; {@link IllegalArgumentException} naming the spec and what is wrong. */
    public static InnerOptimizer parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("Invalid --optimizer '': expected NAME[:key=value,...] with NAME one of " + NAMES);
        String s = spec.trim();
        int colon = s.indexOf(':');
        String name = (colon < 0 ? s : s.substring(0, colon)).trim().toLowerCase(java.util.Locale.ROOT);
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': unknown optimizer '" + name + "' (one of " + String.join(", ", NAMES) + ")");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("type", name);
        if (name.equals("sgd")) fields.put("lr", SGD_DEFAULT_LR);
        if (colon >= 0) {
            String rest = s.substring(colon + 1).trim();
            if (rest.isEmpty()) throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': nothing after ':' (expected key=value,...)");
            for (String kv : rest.split(",")) {
                int eq = kv.indexOf('=');
                if (eq <= 0 || eq == kv.length() - 1) {
                    throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': '" + kv.trim() + "' is not key=value");
                }
                String key = kv.substring(0, eq).trim(), value = kv.substring(eq + 1).trim();
                if (key.equals("type")) throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': give the type as NAME before ':'");
                if (fields.containsKey(key) && !(name.equals("sgd") && key.equals("lr"))) {
                    throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': '" + key + "' given twice");
                }
                fields.put(key, value(spec, key, value));
            }
        }
        try {
            return InnerOptimizer.fromMap(fields);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().replace("inner.", "");
            throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': " + m, e);
        }
    }

    private static Object value(String spec, String key, String v) {
        if (v.equalsIgnoreCase("true")) return Boolean.TRUE;
        if (v.equalsIgnoreCase("false")) return Boolean.FALSE;
        if (key.equals("betas")) {
            String[] p = v.split("/");
            if (p.length != 2) throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': betas must be B1/B2, e.g. betas=0.9/0.999");
            return List.of(number(spec, key, p[0]), number(spec, key, p[1]));
        }
        return number(spec, key, v);
    }

    private static Double number(String spec, String key, String v) {
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Invalid --optimizer '" + spec + "': " + key + "=" + v + " is not a number");
        }
    }

    /** A short label like {@code adam(lr=0.001)} or {@code sgd(lr=0.1,momentum=0.9)}: the non-default fields. */
    public static String label(InnerOptimizer inner) {
        Map<String, Object> all = inner.toMap();
        Map<String, Object> defaults = InnerOptimizer.fromMap(Map.of("type", inner.typeName(), "lr", inner.lr())).toMap();
        StringBuilder b = new StringBuilder(inner.typeName()).append("(lr=").append(fmt(inner.lr()));
        for (Map.Entry<String, Object> e : all.entrySet()) {
            String k = e.getKey();
            if (k.equals("type") || k.equals("lr")) continue;
            String v = str(e.getValue());
            if (!v.equals(str(defaults.get(k)))) b.append(',').append(k).append('=').append(v);
        }
        return b.append(')').toString();
    }

    private static String str(Object v) {
        if (v instanceof double[] a) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < a.length; i++) b.append(i == 0 ? "" : "/").append(fmt(a[i]));
            return b.toString();
        }
        if (v instanceof Number n) return fmt(n.doubleValue());
        return String.valueOf(v);
    }

    static String fmt(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e6) return Long.toString((long) d);
        if (Math.abs(d) >= 1e-6 && Math.abs(d) < 1e6) return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        return Double.toString(d);
    }
}
