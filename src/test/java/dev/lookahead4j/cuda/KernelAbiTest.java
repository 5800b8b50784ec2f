package dev.lookahead4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.backend.RuleKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The optimizer kernels' parameter lists in the PTX against what {@link CudaStep} packs: sizes in bytes,
 * in order (the driver copies each argument by the size the PTX declares, so a mismatch would read past
 * or short of a Java buffer without an error). Runs wherever the build has PTX (CI).
 */
class KernelAbiTest {
    static final int PTR = 8, I64 = 8, F32 = 4, I32 = 4;

    /** The byte sizes of entry {@code symbol}'s parameters. */
    static List<Integer> paramSizes(String ptx, String symbol) {
        Matcher m = Pattern.compile("\\.entry\\s+" + Pattern.quote(symbol) + "\\s*\\(([^)]*)\\)").matcher(ptx);
        assertTrue(m.find(), symbol + " is not an .entry");
        List<Integer> sizes = new ArrayList<>();
        Matcher p = Pattern.compile("\\.param\\s+(?:\\.align\\s+\\d+\\s+)?\\.([a-z]+)(\\d+)\\s+\\w+?(?:\\[(\\d+)\\])?\\s*(?:,|$)").matcher(m.group(1).trim());
        while (p.find()) {
            int bits = Integer.parseInt(p.group(2));
            sizes.add(bits / 8 * (p.group(3) == null ? 1 : Integer.parseInt(p.group(3))));
        }
        return sizes;
    }

    static String ptx(String name) {
        byte[] b = CudaBackend.resource(name);
        Assumptions.assumeTrue(b != null, "this build has no PTX (no nvcc): nothing to check");
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void stepKernelsTakeSevenPointersAndTheGroupsStruct() {
        String step = ptx(KernelNames.STEP_PTX);
        for (RuleKind r : RuleKind.values()) {
            assertEquals(List.of(PTR, PTR, PTR, PTR, PTR, PTR, PTR, CudaStep.GROUPS_BYTES), paramSizes(step, KernelNames.step(r)),
                    KernelNames.step(r) + " (CudaStep.GROUPS_BYTES = 8 + " + CudaStep.MAX_GROUPS + " x " + CudaStep.GROUP_BYTES + ")");
        }
        assertTrue(CudaStep.GROUPS_BYTES <= 4096, "kernel parameters are limited to 4096 bytes");
        assertEquals(CudaStep.ARGS_BYTES + 24 + 4, CudaStep.GROUP_BYTES, "LaGroup: 24 bytes of range and blocks, LaStepArgs, padding to 8");
    }

    @Test
    void syncAndReductionKernelsTakeWhatCudaStepPacks() {
        String step = ptx(KernelNames.STEP_PTX), reduce = ptx(KernelNames.REDUCE_PTX);
        // la_sync(p, m, slow, cache, long long start, long long end, float alpha, float one_minus_alpha, int pullback)
        assertEquals(List.of(PTR, PTR, PTR, PTR, I64, I64, F32, F32, I32), paramSizes(step, KernelNames.SYNC));
        // la_sumsq_partial(x, start, end, partials); la_nonfinite_partial(x, start, end, partials)
        assertEquals(List.of(PTR, I64, I64, PTR), paramSizes(reduce, KernelNames.SUMSQ_PARTIAL));
        assertEquals(List.of(PTR, I64, I64, PTR), paramSizes(reduce, KernelNames.NONFINITE_PARTIAL));
        // la_distsq_partial(x, y, start, end, partials)
        assertEquals(List.of(PTR, PTR, I64, I64, PTR), paramSizes(reduce, KernelNames.DISTSQ_PARTIAL));
        // la_reduce_final(partials, long long n, out)
        assertEquals(List.of(PTR, I64, PTR), paramSizes(reduce, KernelNames.REDUCE_FINAL));
    }
}
