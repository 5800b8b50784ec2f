package dev.lookahead4j;

/**
 * A named parameter: {@code size} elements at element {@code offset} of every flat buffer of its arena
 * (params, grads and each optimizer state), in group {@code group}.
 */
public record Param(String name, long offset, int size, String group) {
}
