package dev.lookahead4j.cuda;

import dev.lookahead4j.backend.RuleKind;
import java.util.List;
import java.util.Map;

/**
 * The kernel symbols the Java launchers use, by PTX resource. The build test
 * ({@code dev.lookahead4j.kernels.PtxSymbolsTest}) checks that each one is an {@code .entry} of its
 * PTX file, so a renamed kernel fails CI rather than {@code cuModuleGetFunction} on a GPU.
 */
public final class KernelNames {
    private KernelNames() { }

    /** Class-path folder of the PTX resources (built by {@code native/Makefile}). */
    public static final String RESOURCE_DIR = "/dev/lookahead4j/cuda/";
    /** The properties file the Makefile writes next to the PTX: toolkit, PTX ISA, target. */
    public static final String BUILD_INFO = "kernels.properties";

    /** PTX resource of the step and sync kernels ({@code cuda-kernels/step.cu}). */
    public static final String STEP_PTX = "step.ptx";
    /** PTX resource of the reductions ({@code cuda-kernels/reduce.cu}). */
    public static final String REDUCE_PTX = "reduce.ptx";

    /** Step kernel of each rule, indexed by {@link RuleKind#id}. */
    private static final String[] STEP = {
        "la_step_sgd", "la_step_adam", "la_step_rmsprop", "la_step_adagrad", "la_step_radam", "la_step_nadam"
    };
    /** The forced sync. */
    public static final String SYNC = "la_sync";
    /** Sum of x² per chunk of a range. */
    public static final String SUMSQ_PARTIAL = "la_sumsq_partial";
    /** Sum of (x - y)² per chunk of a range. */
    public static final String DISTSQ_PARTIAL = "la_distsq_partial";
    /** Count of non-finite x per chunk of a range. */
    public static final String NONFINITE_PARTIAL = "la_nonfinite_partial";
    /** Sum of the partials, one block. */
    public static final String REDUCE_FINAL = "la_reduce_final";

    /** Elements per reduction partial; must equal {@code LA_CHUNK} in reduce.cu. */
    public static final int REDUCE_CHUNK = 65536;
    /** Threads per block of the reductions; must equal {@code LA_RED_THREADS} in reduce.cu. */
    public static final int REDUCE_THREADS = 256;
    /** Threads per block of the step kernels; must not exceed {@code LA_STEP_THREADS} in step.cu. */
    public static final int STEP_THREADS = 256;

    /** The step kernel of {@code rule}. */
    public static String step(RuleKind rule) {
        return STEP[rule.id];
    }

    /** Every symbol, by the PTX resource that must define it. */
    public static Map<String, List<String>> byResource() {
        return Map.of(
                STEP_PTX, List.of(STEP[0], STEP[1], STEP[2], STEP[3], STEP[4], STEP[5], SYNC),
                REDUCE_PTX, List.of(SUMSQ_PARTIAL, DISTSQ_PARTIAL, NONFINITE_PARTIAL, REDUCE_FINAL));
    }
}
