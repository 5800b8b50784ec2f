package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.replay.ReferenceCase;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The extra reference cases in {@code src/test/resources/reference/extra/} (generated with the real
 * PyTorch 1.13 by {@code src/test/python/make_reference_cases.py}; every inner rule and option, every
 * pullback mode, k/alpha edge cases, odd sizes, long runs) replay on the CPU inside the tolerance and
 * bit for bit, with 1 and 2 threads. NAdam cases follow the documented formula (README §2), which the
 * generator checks to be bit-identical to torch 1.13 {@code NAdam(foreach=True)}; no case is
 * tolerance-only.
 */
class ExtraReferenceCasesTest {
    static Device one, two;

    @BeforeAll static void open() { one = Device.cpu(1); two = Device.cpu(2); }
    @AfterAll static void close() { one.close(); two.close(); }

    static Path resourceDir() throws URISyntaxException {
        return Path.of(ExtraReferenceCasesTest.class.getResource("/reference/extra/x01_sgd_wd.json").toURI()).getParent();
    }

    static Stream<Path> cases() throws Exception {
        return Files.list(resourceDir()).filter(p -> p.toString().endsWith(".json")).sorted();
    }

    @Test
    void everyRuleIsCovered() throws Exception {
        List<String> types;
        try (Stream<Path> s = cases()) {
            types = s.map(p -> {
                try {
                    return ReferenceCase.load(p).inner.typeName();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).distinct().sorted().collect(Collectors.toList());
        }
        assertEquals(List.of("adagrad", "adam", "adamw", "nadam", "radam", "rmsprop", "sgd"), types);
        try (Stream<Path> s = cases()) {
            assertTrue(s.count() >= 60, "expected the full generated set of extra cases");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void replaysBitForBit(Path file) throws Exception {
        ReferenceCasesTest.assertReplays(ReferenceCase.load(file), one, two);
    }
}
