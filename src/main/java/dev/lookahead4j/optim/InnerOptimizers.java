package dev.lookahead4j.optim;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builds configs from reference-case style field maps (the {@code inner} object of a case file). */
final class InnerOptimizers {
    private InnerOptimizers() { }

    private static final Map<String, Set<String>> FIELDS = Map.of(
            "sgd", Set.of("type", "lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"),
            "adam", Set.of("type", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
            "adamw", Set.of("type", "lr", "betas", "eps", "weight_decay", "amsgrad", "maximize"),
            "rmsprop", Set.of("type", "lr", "rho", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"),
            "adagrad", Set.of("type", "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps", "maximize"),
            "radam", Set.of("type", "lr", "betas", "eps", "weight_decay", "maximize", "decoupled_weight_decay", "foreach"),
            "nadam", Set.of("type", "lr", "betas", "eps", "weight_decay", "momentum_decay", "maximize", "foreach"));

    static InnerOptimizer fromMap(Map<String, ?> m) {
        Object typeObj = m.get("type");
        if (!(typeObj instanceof String type)) throw new IllegalArgumentException("inner.type: missing or not a string");
        Set<String> known = FIELDS.get(type);
        if (known == null) {
            throw new IllegalArgumentException("inner.type: unknown optimizer '" + type + "' (one of sgd, adam, adamw, rmsprop, adagrad, radam, nadam)");
        }
        for (String k : m.keySet()) {
            if (!known.contains(k)) throw new IllegalArgumentException("inner." + k + ": unknown field for " + type);
        }
        F f = new F(m);
        switch (type) {
            case "sgd": {
                Sgd.Builder b = Sgd.builder();
                f.num("lr").ifPresent(b::lr);
                f.num("momentum").ifPresent(b::momentum);
                f.num("dampening").ifPresent(b::dampening);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.bool("nesterov").ifPresent(b::nesterov);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
            case "adam":
            case "adamw": {
                Adam.Builder b = type.equals("adam") ? Adam.builder() : Adam.adamWBuilder();
                f.num("lr").ifPresent(b::lr);
                double[] betas = f.betas();
                if (betas != null) b.betas(betas[0], betas[1]);
                f.num("eps").ifPresent(b::eps);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.bool("amsgrad").ifPresent(b::amsgrad);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
            case "rmsprop": {
                RmsProp.Builder b = RmsProp.builder();
                f.num("lr").ifPresent(b::lr);
                f.num("rho").ifPresent(b::rho);
                f.num("alpha").ifPresent(b::rho);
                f.num("eps").ifPresent(b::eps);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.num("momentum").ifPresent(b::momentum);
                f.bool("centered").ifPresent(b::centered);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
            case "adagrad": {
                Adagrad.Builder b = Adagrad.builder();
                f.num("lr").ifPresent(b::lr);
                f.num("lr_decay").ifPresent(b::lrDecay);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.num("initial_accumulator_value").ifPresent(b::initialAccumulatorValue);
                f.num("eps").ifPresent(b::eps);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
            case "radam": {
                if (f.bool("decoupled_weight_decay").orElse(false)) {
                    throw new IllegalArgumentException("inner.decoupled_weight_decay: true is not supported (PyTorch 1.13 RAdam semantics)");
                }
                RAdam.Builder b = RAdam.builder();
                f.num("lr").ifPresent(b::lr);
                double[] betas = f.betas();
                if (betas != null) b.betas(betas[0], betas[1]);
                f.num("eps").ifPresent(b::eps);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
            default: {
                NAdam.Builder b = NAdam.builder();
                f.num("lr").ifPresent(b::lr);
                double[] betas = f.betas();
                if (betas != null) b.betas(betas[0], betas[1]);
                f.num("eps").ifPresent(b::eps);
                f.num("weight_decay").ifPresent(b::weightDecay);
                f.num("momentum_decay").ifPresent(b::momentumDecay);
                f.bool("maximize").ifPresent(b::maximize);
                return b.build();
            }
        }
    }

    /** Typed field access with messages naming the field. */
    private record F(Map<String, ?> m) {
        java.util.OptionalDouble num(String k) {
            Object v = m.get(k);
            if (v == null) return java.util.OptionalDouble.empty();
            if (!(v instanceof Number n)) throw new IllegalArgumentException("inner." + k + ": expected a number, got " + v);
            return java.util.OptionalDouble.of(n.doubleValue());
        }

        java.util.Optional<Boolean> bool(String k) {
            Object v = m.get(k);
            if (v == null) return java.util.Optional.empty();
            if (!(v instanceof Boolean b)) throw new IllegalArgumentException("inner." + k + ": expected true or false, got " + v);
            return java.util.Optional.of(b);
        }

        double[] betas() {
            Object v = m.get("betas");
            if (v == null) return null;
            if (v instanceof double[] d && d.length == 2) return d;
            if (!(v instanceof List<?> l) || l.size() != 2 || !(l.get(0) instanceof Number) || !(l.get(1) instanceof Number)) {
                throw new IllegalArgumentException("inner.betas: expected [beta1, beta2], got " + v);
            }
            return new double[] {((Number) l.get(0)).doubleValue(), ((Number) l.get(1)).doubleValue()};
        }
    }
}
