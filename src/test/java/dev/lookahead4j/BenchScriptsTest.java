package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The parts of the GPU benchmark scripts that can be checked without a GPU: {@code bench/torch_gpu.py}
 * builds ResNet-50's 161 tensors (25,557,032 parameters, from the architecture, so the GPU machine needs
 * no torchvision) and GPT-2 small's 148 (124,439,808); {@code bench/gpu-check.sh} parses. Skipped,
 * saying so, only when python3 or bash is missing.
 */
class BenchScriptsTest {
    static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort(command[0] + " is not installed: " + e.getMessage());
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) p.destroyForcibly();
        assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    @Test
    void torchGpuLayoutsHaveTheModelsTensorAndParameterCounts() throws Exception {
        String out = run("python3", "bench/torch_gpu.py", "--check-layouts");
        assertEquals(List.of("resnet50 tensors=161 params=25557032", "gpt2 tensors=148 params=124439808"), out.lines().toList());
    }

    @Test
    void gpuCheckScriptParses() throws Exception {
        run("bash", "-n", "bench/gpu-check.sh");
    }
}
