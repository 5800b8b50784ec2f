package dev.lookahead4j;

import java.util.List;

/**
 * A named group of parameters, laid out contiguously in the arena at elements {@code [start, end)}
 * (alignment padding included). Groups carry per-group optimizer settings ({@link GroupOptions}).
 */
public record ParamGroup(String name, long start, long end, List<Param> params) {
    public ParamGroup {
        params = List.copyOf(params);
    }
}
