package dev.lookahead4j.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.cuda.KernelNames;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
