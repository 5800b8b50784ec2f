package dev.lookahead4j;

import dev.lookahead4j.optim.Check;

/**
 * Per-group overrides of the inner optimizer's learning rate and weight decay (null = inherit), e.g.
 * no weight decay on biases and norms: {@code GroupOptions.builder().weightDecay(0).build()}.
 */
public record GroupOptions(Double lr, Double weightDecay) {
    public GroupOptions {
        if (lr != null) Check.lr(lr);
        if (weightDecay != null) Check.weightDecay(weightDecay);
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private Double lr, weightDecay;

        public Builder lr(double v) { lr = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public GroupOptions build() { return new GroupOptions(lr, weightDecay); }
    }
}
