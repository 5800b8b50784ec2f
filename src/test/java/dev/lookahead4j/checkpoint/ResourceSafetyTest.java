package dev.lookahead4j.checkpoint;

import static dev.lookahead4j.checkpoint.Fixtures.*;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lookahead4j.Device;
import dev.lookahead4j.Lookahead;
import dev.lookahead4j.Optimizer;
import dev.lookahead4j.ParamArena;
import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;
import dev.lookahead4j.cpu.CpuBackend;
import dev.lookahead4j.cpu.HostBuffer;
import dev.lookahead4j.optim.Adam;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** close() idempotent, use after close rejected, leaks reported, concurrent steps rejected, failed allocations undone. */
class ResourceSafetyTest {

    @Test
    void closeIsIdempotent() {
        Device d = Device.cpu(2);
        ParamArena a = arena(d);
        Optimizer o = optimizer(a, "adam", "la_pullback");
        for (int i = 0; i < 3; i++) {
            assertDoesNotThrow(o::close);
            assertDoesNotThrow(a::close);
            assertDoesNotThrow(d::close);
        }
        assertTrue(o.isClosed() && a.isClosed() && d.isClosed());
    }

    static void allThrow(Map<String, Executable> calls) {
        for (Map.Entry<String, Executable> e : calls.entrySet()) {
            IllegalStateException x = assertThrows(IllegalStateException.class, e.getValue(), e.getKey() + " after close");
            assertTrue(x.getMessage().contains("closed"), e.getKey() + ": " + x.getMessage());
        }
    }

    /** Every public method of Optimizer (but close/isClosed), called after close. */
    static Map<String, Executable> optimizerCalls(Optimizer o, Path dir) {
        Map<String, Executable> m = new LinkedHashMap<>();
        m.put("step", o::step);
        m.put("zeroGrad", o::zeroGrad);
        m.put("stepCount", o::stepCount);
        m.put("skippedSteps", o::skippedSteps);
        m.put("learningRate", () -> o.learningRate("decay"));
        m.put("sync", o::sync);
        m.put("withSlowWeights(Runnable)", () -> o.withSlowWeights(() -> { }));
        m.put("withSlowWeights(Supplier)", () -> o.withSlowWeights(() -> 1));
        m.put("slowDistance", o::slowDistance);
        m.put("gradientNorm", o::gradientNorm);
        m.put("slowValues", () -> o.slowValues("fc1.bias"));
        m.put("stateValues", () -> o.stateValues("exp_avg", "fc1.bias"));
        m.put("stateBuffers", o::stateBuffers);
        m.put("arena", o::arena);
        m.put("inner", o::inner);
        m.put("lookahead", o::lookahead);
        m.put("schedule", o::schedule);
        m.put("nonFinitePolicy", o::nonFinitePolicy);
        m.put("groupOptions", o::groupOptions);
        m.put("save", () -> o.save(dir.resolve("x.safetensors")));
        m.put("load", () -> o.load(dir.resolve("x.safetensors")));
        return m;
    }

    static Map<String, Executable> arenaCalls(ParamArena a) {
        Map<String, Executable> m = new LinkedHashMap<>();
        float[] one = new float[7];
        m.put("device", a::device);
        m.put("params", a::params);
        m.put("groups", a::groups);
        m.put("group", () -> a.group("decay"));
        m.put("param", () -> a.param("fc1.bias"));
        m.put("hasParam", () -> a.hasParam("fc1.bias"));
        m.put("length", a::length);
        m.put("parameterCount", a::parameterCount);
        m.put("setValues", () -> a.setValues("fc1.bias", one));
        m.put("setGrad", () -> a.setGrad("fc1.bias", one));
        m.put("setValues(FloatBuffer)", () -> a.setValues("fc1.bias", FloatBuffer.wrap(one)));
        m.put("setGrad(FloatBuffer)", () -> a.setGrad("fc1.bias", FloatBuffer.wrap(one)));
        m.put("values", () -> a.values("fc1.bias"));
        m.put("grad", () -> a.grad("fc1.bias"));
        m.put("values(dst)", () -> a.values("fc1.bias", one));
        m.put("grad(dst)", () -> a.grad("fc1.bias", one));
        m.put("valuesView", () -> a.valuesView("fc1.bias"));
        m.put("gradView", () -> a.gradView("fc1.bias"));
        m.put("paramsArray", a::paramsArray);
        m.put("gradsArray", a::gradsArray);
        m.put("zeroGrad", a::zeroGrad);
        m.put("valuesBuffer", a::valuesBuffer);
        m.put("gradsBuffer", a::gradsBuffer);
        return m;
    }

    @Test
    void everyUseAfterCloseThrows(@TempDir Path dir) throws Exception {
        try (Device d = Device.cpu(1)) {
            ParamArena a = arena(d);
            Optimizer o = optimizer(a, "adam", "la_pullback");
            o.save(dir.resolve("x.safetensors"));
            o.close();
            allThrow(optimizerCalls(o, dir));
            a.close();
            allThrow(arenaCalls(a));
            assertThrows(IllegalStateException.class, () -> optimizer(a, "adam", "plain"));
        }
        // closing the arena (not the optimizer) disables the optimizer's state-touching calls
        try (Device d = Device.cpu(1)) {
            ParamArena a = arena(d);
            Optimizer o = optimizer(a, "adam", "la_pullback");
            a.close();
            for (String call : List.of("step", "zeroGrad", "sync", "slowDistance", "gradientNorm", "slowValues", "stateValues", "stateBuffers", "save")) {
                assertThrows(IllegalStateException.class, optimizerCalls(o, dir).get(call), call + " after the arena was closed");
            }
            o.close();
        }
        // closing the device disables its arenas
        Device d = Device.cpu(1);
        ParamArena a = arena(d);
        d.close();
        allThrow(arenaCalls(a));
        assertThrows(IllegalStateException.class, d::backend);
        assertThrows(IllegalStateException.class, d::synchronize);
        assertThrows(IllegalStateException.class, () -> arena(d));
        a.close();
    }

    // ------------------------------------------------------------------ leaks

    static final class Capture extends Handler {
        final List<String> messages = new CopyOnWriteArrayList<>();
        @Override public void publish(LogRecord r) { messages.add(r.getMessage()); }
        @Override public void flush() { }
        @Override public void close() { }
    }

    /** Allocates a device, an arena and an optimizer and drops them unclosed. */
    static void leak() {
        Device d = Device.cpu(2);
        ParamArena a = ParamArena.builder().add("leaky.weight", 1000).build(d);
        Optimizer o = Optimizer.builder(a, Adam.builder().build()).build();
        o.step();
    }

    @Test
    void unclosedDeviceAndArenaAreReportedWhenCollected() throws Exception {
        Logger log = Logger.getLogger("dev.lookahead4j"); // held: JUL keeps loggers weakly
        Capture capture = new Capture();
        log.addHandler(capture);
        try {
            leak();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline && !(seen(capture, "ParamArena[1 parameters") && seen(capture, "Device[cpu (2 threads)]"))) {
                System.gc();
                Thread.sleep(50);
                byte[][] pressure = new byte[16][];
                for (int i = 0; i < pressure.length; i++) pressure[i] = new byte[1 << 16];
            }
            assertTrue(seen(capture, "ParamArena[1 parameters, 1024 elements"), "no arena leak report: " + capture.messages);
            assertTrue(seen(capture, "Device[cpu (2 threads)] was garbage-collected without close(); released it now"), "no device leak report: " + capture.messages);
            // a closed device and arena are never reported
            int before = capture.messages.size();
            closedAndDropped();
            for (int i = 0; i < 20; i++) {
                System.gc();
                Thread.sleep(25);
            }
            assertTrue(capture.messages.stream().skip(before).noneMatch(s -> s.contains("closed.weight")), capture.messages.toString());
        } finally {
            log.removeHandler(capture);
        }
    }

    static void closedAndDropped() {
        try (Device d = Device.cpu(1); ParamArena a = ParamArena.builder().add("closed.weight", 3).build(d)) {
            a.zeroGrad();
        }
    }

    static boolean seen(Capture c, String text) {
        return c.messages.stream().anyMatch(s -> s.contains(text));
    }

    // ------------------------------------------------------------------ concurrency

    @Test
    void aConcurrentStepIsRejectedAndChangesNothing(@TempDir Path dir) throws Exception {
        CountDownLatch inside = new CountDownLatch(1), release = new CountDownLatch(1);
        AtomicBoolean block = new AtomicBoolean(true);
        try (Device d = Device.cpu(2); ParamArena a = arena(d); ParamArena ra = arena(d);
             Optimizer o = Optimizer.builder(a, Adam.builder().build()).lookahead(Lookahead.builder().syncPeriod(1).build())
                     .schedule((base, step) -> {
                         if (block.getAndSet(false)) {
                             inside.countDown();
                             try {
                                 release.await(30, TimeUnit.SECONDS);
                             } catch (InterruptedException e) {
                                 Thread.currentThread().interrupt();
                             }
                         }
                         return base;
                     }).build();
             Optimizer ref = Optimizer.builder(ra, Adam.builder().build()).lookahead(Lookahead.builder().syncPeriod(1).build()).build()) {
            init(a, 4);
            init(ra, 4);
            grads(a, 4, 1);
            grads(ra, 4, 1);
            o.save(dir.resolve("c.safetensors"));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    o.step();
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            assertTrue(inside.await(30, TimeUnit.SECONDS), "the first step never reached the schedule");
            List<String> rejected = new ArrayList<>();
            Map<String, Executable> calls = new LinkedHashMap<>();
            calls.put("step", o::step);
            calls.put("sync", o::sync);
            calls.put("withSlowWeights", () -> o.withSlowWeights(() -> { }));
            calls.put("save", () -> o.save(dir.resolve("c2.safetensors")));
            calls.put("load", () -> o.load(dir.resolve("c.safetensors")));
            for (Map.Entry<String, Executable> e : calls.entrySet()) {
                ConcurrentModificationException x = assertThrows(ConcurrentModificationException.class, e.getValue(), e.getKey());
                assertTrue(x.getMessage().contains("nothing was changed"), x.getMessage());
                rejected.add(e.getKey());
            }
            release.countDown();
            t.join(30_000);
            assertEquals(null, failure.get());
            assertEquals(5, rejected.size());
            ref.step();
            assertSameState(stateSnapshot(ref), stateSnapshot(o), "one step, not interleaved with the rejected calls");
            assertEquals(1L, o.stepCount());
        }
    }

    // ------------------------------------------------------------------ failed allocations

    /** The CPU backend, failing its n-th allocation and remembering every buffer it handed out. */
    static final class FailingBackend implements Backend {
        final CpuBackend cpu = new CpuBackend(1);
        final List<HostBuffer> handedOut = new ArrayList<>();
        final int failAt;
        int count;

        FailingBackend(int failAt) { this.failAt = failAt; }

        @Override public Buffer allocate(String what, long length) {
            if (++count == failAt) throw new IllegalStateException("out of device memory allocating " + what + " (simulated)");
            HostBuffer b = (HostBuffer) cpu.allocate(what, length);
            handedOut.add(b);
            return b;
        }

        long open() {
            return handedOut.stream().filter(b -> {
                try {
                    b.array();
                    return true;
                } catch (IllegalStateException closed) {
                    return false;
                }
            }).count();
        }

        @Override public PreparedStep prepare(RuleKind rule, StepBuffers buffers, GroupRange[] groups, StepArgs args) {
            return cpu.prepare(rule, buffers, groups, args);
        }

        @Override public String describe() { return "failing cpu"; }
        @Override public void close() { cpu.close(); }
    }

    @Test
    void aFailedAllocationFreesWhatWasAllocated() {
        // the arena: params, then grads
        FailingBackend b = new FailingBackend(2);
        try (Device d = Device.of(b, Device.Kind.CPU)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> arena(d));
            assertTrue(e.getMessage().contains("grads"), e.getMessage());
            assertEquals(1, b.handedOut.size());
            assertEquals(0, b.open(), "the params buffer of the failed arena was not freed");
        }
        // the optimizer (AMSGrad + Lookahead pullback: exp_avg, exp_avg_sq, max_exp_avg_sq, slow, cached_momentum)
        for (int failAt = 3; failAt <= 7; failAt++) {
            FailingBackend fb = new FailingBackend(failAt);
            try (Device d = Device.of(fb, Device.Kind.CPU); ParamArena a = arena(d)) {
                assertThrows(IllegalStateException.class, () -> optimizer(a, "adam_amsgrad", "la_pullback"), "fail at " + failAt);
                assertEquals(failAt - 1, fb.handedOut.size());
                assertEquals(2, fb.open(), "fail at allocation " + failAt + ": only the arena's two buffers may stay");
            }
        }
        FailingBackend ok = new FailingBackend(100);
        try (Device d = Device.of(ok, Device.Kind.CPU); ParamArena a = arena(d); Optimizer o = optimizer(a, "adam_amsgrad", "la_pullback")) {
            assertEquals(7, ok.open());
            o.close();
            assertEquals(2, ok.open());
        }
        assertEquals(0, ok.open());
    }
}
