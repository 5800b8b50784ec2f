package dev.lookahead4j.backend;

/**
 * The buffers one fused step touches. {@code s0} is always the first-moment buffer the Lookahead
 * pullback policies act on (SGD/RMSprop momentum buffer, Adam-family exp_avg) or {@code null} when the
 * rule has none; {@code s1}, {@code s2} are the rule's other state (see {@link RuleKind}).
 * {@code slow} is null without Lookahead, {@code cache} is null unless the pullback policy is PULLBACK.
 */
public record StepBuffers(Buffer params, Buffer grads, Buffer s0, Buffer s1, Buffer s2,
                          Buffer slow, Buffer cache) {
}
