package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lookahead4j.optim.Adam;
import java.nio.FloatBuffer;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Layout, access by name, zero-copy views, and rejection of bad input with nothing changed. */
class ArenaTest {
    static Device cpu;

    @BeforeAll static void open() { cpu = Device.cpu(2); }
    @AfterAll static void close() { cpu.close(); }

    @Test
    void layoutIsAlignedAndGrouped() {
        try (ParamArena a = ParamArena.builder().group("g1").add("a", 1).add("b", 33).group("g2").add("c", 32).group("g1").add("d", 5).build(cpu)) {
            assertEquals(List.of("a", "b", "d", "c"), a.params().stream().map(Param::name).toList());
            assertEquals(0, a.param("a").offset());
            assertEquals(32, a.param("b").offset());
            assertEquals(96, a.param("d").offset());
            assertEquals(128, a.param("c").offset());
            assertEquals(160, a.length());
            assertEquals(71, a.parameterCount());
            assertEquals(new ParamGroup("g1", 0, 128, List.of(a.param("a"), a.param("b"), a.param("d"))), a.group("g1"));
            for (Param p : a.params()) assertEquals(0, p.offset() % ParamArena.ALIGNMENT);
        }
    }

    @Test
    void valuesByNameAndZeroCopy() {
        try (ParamArena a = ParamArena.builder().add("x", 3).add("y", 2).build(cpu)) {
            a.setValues("x", new float[] {1, 2, 3});
            a.setValues("y", FloatBuffer.wrap(new float[] {4, 5}));
            assertArrayEquals(new float[] {1, 2, 3}, a.values("x"));
            float[] flat = a.paramsArray();
            assertEquals(4f, flat[(int) a.param("y").offset()]);
            FloatBuffer gv = a.gradView("y");
            gv.put(1, 7f);
            assertArrayEquals(new float[] {0, 7}, a.grad("y"));
            a.gradsArray()[(int) a.param("x").offset()] = 9f;
            assertArrayEquals(new float[] {9, 0, 0}, a.grad("x"));
            a.zeroGrad();
            assertArrayEquals(new float[] {0, 0}, a.grad("y"));
        }
    }

    @Test
    void badInputChangesNothing() {
        try (ParamArena a = ParamArena.builder().add("x", 3).build(cpu);
             Optimizer opt = Optimizer.builder(a, Adam.builder().build()).build()) {
            a.setValues("x", new float[] {1, 2, 3});
            a.setGrad("x", new float[] {0.5f, 0.5f, 0.5f});
            opt.step();
            float[] p = a.values("x"), g = a.grad("x"), m = opt.stateValues("exp_avg", "x");
            IllegalArgumentException e1 = assertThrows(IllegalArgumentException.class, () -> a.setGrad("x", new float[2]));
            assertEquals("Wrong size for 'x': 2 values given, the parameter has 3", e1.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> a.setGrad("z", new float[3]));
            assertEquals("Unknown parameter: 'z' (1 parameters, e.g. 'x')", e2.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.setValues("x", new float[4]));
            assertThrows(IllegalArgumentException.class, () -> a.setValues("x", (float[]) null));
            assertThrows(IllegalArgumentException.class, () -> a.values("x", new float[5]));
            assertThrows(IllegalArgumentException.class, () -> opt.stateValues("exp_avg", "nope"));
            assertThrows(IllegalArgumentException.class, () -> opt.stateValues("momentum_buffer", "x"));
            assertArrayEquals(p, a.values("x"));
            assertArrayEquals(g, a.grad("x"));
            assertArrayEquals(m, opt.stateValues("exp_avg", "x"));
            assertEquals(1, opt.stepCount());
        }
    }

    @Test
    void emptyArenaRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParamArena.builder().build(cpu));
        assertEquals("An arena needs at least one parameter", e.getMessage());
    }
}
