package dev.lookahead4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.cuda.KernelNames;
import dev.lookahead4j.train.MlpKernelNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The PTX the jar carries: every kernel the Java launchers name is an entry of its PTX file, the PTX
 * targets the oldest virtual architecture with IEEE float division and square root, and ptxas accepted
 * it for sm_80 and sm_90 with no spills (target/native/ptxas-report.txt, written by native/Makefile).
 * The same for the training demo's MLP kernels ({@link MlpKernelNames}, {@code mlp.ptx}), whose
 * parameter lists are also checked against the launcher's signature strings.
 */
class PtxSymbolsTest {

    static String resource(String name) throws IOException {
        try (InputStream in = KernelNames.class.getResourceAsStream(KernelNames.RESOURCE_DIR + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String ptxOrSkip(String name) throws IOException {
        String ptx = resource(name);
        if (ptx == null) NativeBuild.missing("PTX resource " + name, NativeBuild.nvccPresent());
        return ptx;
    }

    @Test
    void everyLauncherSymbolIsAnEntryOfItsPtx() throws IOException {
        for (Map.Entry<String, List<String>> e : KernelNames.byResource().entrySet()) {
            String ptx = ptxOrSkip(e.getKey());
            for (String symbol : e.getValue()) {
                assertTrue(Pattern.compile("\\.entry\\s+" + Pattern.quote(symbol) + "\\s*\\(").matcher(ptx).find(),
                        symbol + " is not an .entry of " + e.getKey());
            }
        }
    }

    @Test
    void ptxIsPortableAndIeee() throws IOException {
        for (String name : KernelNames.byResource().keySet()) {
            String ptx = ptxOrSkip(name);
            assertTrue(ptx.contains(".target sm_75"), name + ": not built for compute_75 (the oldest CUDA 13 target)");
            // -prec-div=true -prec-sqrt=true -ftz=false and no fast math: only correctly rounded f32 div/sqrt, no flush to zero
            for (String bad : new String[] {"div.approx", "div.full", "sqrt.approx", ".ftz.", "rcp.approx", "ex2.approx"}) {
                assertFalse(ptx.contains(bad), name + " contains " + bad + ": built with fast math or without IEEE div/sqrt");
            }
            // -fmad=false: every f32 add and multiply carries .rn, which ptxas never fuses into an FMA
            Matcher m = Pattern.compile("\\b(add|sub|mul)\\.f32\\b").matcher(ptx);
            assertFalse(m.find(), name + ": an f32 add/mul without .rn (contractible): built without -fmad=false?");
            assertFalse(ptx.contains("mad.f32") || ptx.contains("mad.rn.f32"), name + ": contains mad.f32");
        }
        Properties info = new Properties();
        String props = resource(KernelNames.BUILD_INFO);
        assertNotNull(props, "kernels.properties missing next to the PTX");
        info.load(new java.io.StringReader(props));
        assertNotNull(info.getProperty("toolkit"), "kernels.properties names no toolkit");
        assertEquals("compute_75", info.getProperty("ptx.target"));
    }

    @Test
    void ptxasAcceptedEveryKernelForSm80AndSm90WithoutSpills() throws IOException {
        Path report = NativeBuild.nativeDir().resolve("ptxas-report.txt");
        if (!Files.exists(report)) NativeBuild.missing(report.toString(), NativeBuild.nvccPresent());
        String text = Files.readString(report);
        for (Map.Entry<String, List<String>> e : KernelNames.byResource().entrySet()) {
            for (String sm : new String[] {"sm_80", "sm_90"}) {
                assertTrue(text.contains("== " + e.getKey() + " " + sm), "no ptxas run of " + e.getKey() + " for " + sm);
                for (String symbol : e.getValue()) {
                    assertTrue(text.contains("Compiling entry function '" + symbol + "' for '" + sm + "'"),
                            "ptxas did not compile " + symbol + " for " + sm);
                }
            }
        }
        Matcher spills = Pattern.compile("(\\d+) bytes spill stores, (\\d+) bytes spill loads").matcher(text);
        int seen = 0;
        while (spills.find()) {
            seen++;
            assertEquals("0", spills.group(1), "a kernel spills registers: " + spills.group());
            assertEquals("0", spills.group(2), "a kernel spills registers: " + spills.group());
        }
        assertTrue(seen >= 2 * 11, "expected a spill line per kernel and architecture, found " + seen);
        assertFalse(text.toLowerCase().contains("error"), "ptxas reported an error:\n" + text);
    }

    /** The PTX text of entry {@code symbol}'s body. */
    static String body(String ptx, String symbol) {
        Matcher m = Pattern.compile("\\.entry\\s+" + Pattern.quote(symbol) + "\\s*\\(").matcher(ptx);
        assertTrue(m.find(), symbol + " is not an .entry");
        int open = ptx.indexOf('{', m.end());
        int depth = 0, i = open;
        for (; i < ptx.length(); i++) {
            if (ptx.charAt(i) == '{') depth++;
            else if (ptx.charAt(i) == '}' && --depth == 0) break;
        }
        return ptx.substring(open, i);
    }

    /**
     * What a GPU would need to reach its bandwidth, checked where no GPU is: every step kernel moves its
     * aligned part with 16-byte vector loads and stores (gradients through the read-only path,
     * {@code ld.global.nc.v4}), and no kernel uses a stack frame (local memory).
     */
    @Test
    void stepKernelsUseVectorLoadsAndStoresAndNoKernelHasAStackFrame() throws IOException {
        String ptx = ptxOrSkip(KernelNames.STEP_PTX);
        for (dev.lookahead4j.backend.RuleKind rule : dev.lookahead4j.backend.RuleKind.values()) {
            String b = body(ptx, KernelNames.step(rule));
            for (String op : new String[] {"ld.global.nc.v4.f32", "ld.global.v4.f32", "st.global.v4.f32"}) {
                assertTrue(b.contains(op), KernelNames.step(rule) + " has no " + op + ": its vector path is not vectorised");
            }
        }
        Path report = NativeBuild.nativeDir().resolve("ptxas-report.txt");
        if (!Files.exists(report)) NativeBuild.missing(report.toString(), NativeBuild.nvccPresent());
        Matcher frames = Pattern.compile("(\\d+) bytes stack frame").matcher(Files.readString(report));
        int seen = 0;
        while (frames.find()) {
            seen++;
            assertEquals("0", frames.group(1), "a kernel uses a stack frame (local memory): " + frames.group());
        }
        assertTrue(seen >= 2 * 11, "expected a stack-frame line per kernel and architecture, found " + seen);
    }

    // ------------------------------------------------------------------ the MLP kernels (train/CudaMlp)

    /** The {@code .param} kinds of entry {@code symbol}: u64 -> P or L, u32 -> I, f32 -> F. */
    static String paramKinds(String ptx, String symbol) {
        Matcher m = Pattern.compile("\\.entry\\s+" + Pattern.quote(symbol) + "\\s*\\(([^)]*)\\)").matcher(ptx);
        assertTrue(m.find(), symbol + " is not an .entry of " + MlpKernelNames.PTX);
        StringBuilder kinds = new StringBuilder();
        Matcher p = Pattern.compile("\\.param\\s+\\.(\\w+)\\s+" + Pattern.quote(symbol) + "_param_(\\d+)").matcher(m.group(1));
        int index = 0;
        while (p.find()) {
            assertEquals(index++, Integer.parseInt(p.group(2)), symbol + ": parameters out of order");
            kinds.append(switch (p.group(1)) {
                case "u64" -> 'X';
                case "u32" -> 'I';
                case "f32" -> 'F';
                default -> '?';
            });
        }
        return kinds.toString();
    }

    @Test
    void everyMlpKernelIsAnEntryOfMlpPtxWithTheLaunchersArgumentKinds() throws IOException {
        String ptx = ptxOrSkip(MlpKernelNames.PTX);
        for (Map.Entry<String, String> e : MlpKernelNames.signatures().entrySet()) {
            String expected = e.getValue().replace('P', 'X').replace('L', 'X'); // pointers and long long are both .u64
            assertEquals(expected, paramKinds(ptx, e.getKey()), e.getKey() + ": the PTX parameters differ from the launcher's signature " + e.getValue());
        }
        Matcher entries = Pattern.compile("\\.entry\\s+(\\w+)").matcher(ptx);
        List<String> all = new ArrayList<>();
        while (entries.find()) all.add(entries.group(1));
        assertEquals(MlpKernelNames.signatures().size(), all.size(), "mlp.ptx has entries the launcher does not know: " + all);
    }

    @Test
    void mlpPtxIsPortableAndIeee() throws IOException {
        String ptx = ptxOrSkip(MlpKernelNames.PTX);
        assertTrue(ptx.contains(".target sm_75"), "mlp.ptx: not built for compute_75");
        // The one allowed approximate instruction: libdevice's double-precision log (the softmax's
        // (float) log((double) sum), as the Java writes it) seeds its reciprocal with rcp.approx.ftz.f64
        // and refines it with fma.rn.f64 Newton steps; the result is libdevice's accurate log. It is a
        // fixed part of that library function, not a build flag: no float op is approximated or flushed.
        List<String> seeds = ptx.lines().filter(l -> l.contains("rcp.approx.ftz.f64")).toList();
        assertTrue(seeds.size() <= 2, "more rcp.approx.ftz.f64 than libdevice's log explains: " + seeds);
        String rest = ptx.replace("rcp.approx.ftz.f64", "");
        for (String bad : new String[] {"div.approx", "div.full", "sqrt.approx", ".ftz.", "rcp.approx", "ex2.approx", "lg2.approx"}) {
            assertFalse(rest.contains(bad), "mlp.ptx contains " + bad + ": built with fast math or without IEEE div/sqrt");
        }
        assertFalse(Pattern.compile("\\b(add|sub|mul)\\.f32\\b").matcher(ptx).find(), "mlp.ptx: an f32 add/mul without .rn: built without -fmad=false?");
        assertFalse(ptx.contains("mad.f32") || ptx.contains("mad.rn.f32") || ptx.contains("fma.rn.f32"),
                "mlp.ptx: a fused f32 multiply-add (mlp.cuh writes none)");
        assertFalse(Pattern.compile("(?<![\\w.])(atom|red)\\.").matcher(ptx).find(), "mlp.ptx: an atomic (the kernels must be deterministic)");
    }

    @Test
    void ptxasAcceptedEveryMlpKernelForSm80AndSm90WithoutSpills() throws IOException {
        Path report = NativeBuild.nativeDir().resolve("ptxas-report.txt");
        if (!Files.exists(report)) NativeBuild.missing(report.toString(), NativeBuild.nvccPresent());
        String text = Files.readString(report);
        for (String sm : new String[] {"sm_80", "sm_90"}) {
            int at = text.indexOf("== " + MlpKernelNames.PTX + " " + sm);
            assertTrue(at >= 0, "no ptxas run of " + MlpKernelNames.PTX + " for " + sm);
            int end = text.indexOf("\n== ", at + 1);
            String section = text.substring(at, end < 0 ? text.length() : end);
            for (String symbol : MlpKernelNames.signatures().keySet()) {
                assertTrue(section.contains("Compiling entry function '" + symbol + "' for '" + sm + "'"), "ptxas did not compile " + symbol + " for " + sm);
            }
            Matcher spills = Pattern.compile("(\\d+) bytes spill stores, (\\d+) bytes spill loads").matcher(section);
            int seen = 0;
            while (spills.find()) {
                seen++;
                assertEquals("0", spills.group(1), "an MLP kernel spills registers: " + spills.group());
                assertEquals("0", spills.group(2), "an MLP kernel spills registers: " + spills.group());
            }
            assertEquals(MlpKernelNames.signatures().size(), seen, "one spill line per MLP kernel for " + sm);
            assertFalse(section.toLowerCase().contains("error"), "ptxas reported an error:\n" + section);
        }
    }
}
