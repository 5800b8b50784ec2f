package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.internal.Json;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void roundTrip() {
        Object v = Json.parse("{\"a\": [1, -2.5, 1e-08, true, null, \"x\\\"y\\u0041\"], \"b\": {}}");
        assertEquals(Map.of("a", java.util.Arrays.asList(1L, -2.5, 1e-8, true, null, "x\"yA"), "b", Map.of()), v);
        assertEquals(v, Json.parse(Json.write(v)));
        assertEquals("[-0.0,1.0,0.1]", Json.write(List.of(-0.0, 1.0, 0.1)));
    }

    @Test
    void rejectsMalformed() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "{\"a\":1 \"b\":2}",
                "{\"a\":1,\"a\":2}", "[1] 2", "tru", "\"abc", "[" .repeat(600) + "]".repeat(600)}) {
            Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("offset") || e.getMessage().contains("no JSON"), e.getMessage());
        }
    }
}
