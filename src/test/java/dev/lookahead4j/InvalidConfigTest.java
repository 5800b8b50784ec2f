package dev.lookahead4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lookahead4j.optim.Adagrad;
import dev.lookahead4j.optim.Adam;
import dev.lookahead4j.optim.NAdam;
import dev.lookahead4j.optim.RAdam;
import dev.lookahead4j.optim.RmsProp;
import dev.lookahead4j.optim.Sgd;
import dev.lookahead4j.schedule.LearningRateSchedule;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A table of invalid configurations and the exact message each one gets (PyTorch style, plus the range). */
class InvalidConfigTest {
    static Arguments bad(String message, Supplier<Object> build) {
        return Arguments.of(message, build);
    }

    static Stream<Arguments> table() {
        return Stream.of(
                bad("Invalid learning rate: -0.1 (must be finite and >= 0)", () -> Adam.builder().lr(-0.1).build()),
                bad("Invalid learning rate: NaN (must be finite and >= 0)", () -> Sgd.builder().lr(Double.NaN).build()),
                bad("Invalid learning rate: Infinity (must be finite and >= 0)", () -> RmsProp.builder().lr(Double.POSITIVE_INFINITY).build()),
                bad("Invalid beta parameter at index 0: 1.0 (must be in [0, 1))", () -> Adam.builder().betas(1.0, 0.999).build()),
                bad("Invalid beta parameter at index 1: -0.5 (must be in [0, 1))", () -> RAdam.builder().betas(0.9, -0.5).build()),
                bad("Invalid beta parameter at index 1: NaN (must be in [0, 1))", () -> NAdam.builder().betas(0.9, Double.NaN).build()),
                bad("Invalid epsilon value: -1.0E-8 (must be finite and >= 0)", () -> Adam.builder().eps(-1e-8).build()),
                bad("Invalid weight_decay value: -0.01 (must be finite and >= 0)", () -> Adam.adamWBuilder().weightDecay(-0.01).build()),
                bad("Invalid momentum value: -0.9 (must be finite and >= 0)", () -> Sgd.builder().momentum(-0.9).build()),
                bad("Invalid dampening value: 1.5 (must be in [0, 1])", () -> Sgd.builder().momentum(0.9).dampening(1.5).build()),
                bad("Nesterov momentum requires a momentum > 0 and zero dampening (momentum=0.0, dampening=0.0)",
                        () -> Sgd.builder().nesterov(true).build()),
                bad("Nesterov momentum requires a momentum > 0 and zero dampening (momentum=0.9, dampening=0.1)",
                        () -> Sgd.builder().momentum(0.9).dampening(0.1).nesterov(true).build()),
                bad("Invalid rho (smoothing constant) value: 1.0 (must be in [0, 1))", () -> RmsProp.builder().rho(1.0).build()),
                bad("Invalid momentum value: NaN (must be finite and >= 0)", () -> RmsProp.builder().momentum(Double.NaN).build()),
                bad("Invalid lr_decay value: -1.0 (must be finite and >= 0)", () -> Adagrad.builder().lrDecay(-1).build()),
                bad("Invalid initial_accumulator_value: -0.1 (must be finite and >= 0)", () -> Adagrad.builder().initialAccumulatorValue(-0.1).build()),
                bad("Invalid momentum_decay value: -0.004 (must be finite and >= 0)", () -> NAdam.builder().momentumDecay(-0.004).build()),
                bad("Invalid syncPeriod (k): 0 (must be >= 1)", () -> Lookahead.builder().syncPeriod(0).build()),
                bad("Invalid syncPeriod (k): -3 (must be >= 1)", () -> Lookahead.builder().syncPeriod(-3).build()),
                bad("Invalid slowStepSize (alpha): 1.5 (must be in [0, 1])", () -> Lookahead.builder().slowStepSize(1.5).build()),
                bad("Invalid slowStepSize (alpha): -0.1 (must be in [0, 1])", () -> Lookahead.builder().slowStepSize(-0.1).build()),
                bad("Invalid slowStepSize (alpha): NaN (must be in [0, 1])", () -> Lookahead.builder().slowStepSize(Double.NaN).build()),
                bad("Invalid pullback: null (must be NONE, RESET or PULLBACK)", () -> Lookahead.builder().pullback(null).build()),
                bad("Invalid learning rate: -1.0 (must be finite and >= 0)", () -> GroupOptions.builder().lr(-1).build()),
                bad("Invalid weight_decay value: NaN (must be finite and >= 0)", () -> GroupOptions.builder().weightDecay(Double.NaN).build()),
                bad("Invalid stepSize: 0 (must be >= 1)", () -> LearningRateSchedule.step(0, 0.1)),
                bad("Invalid gamma: 0.0 (must be finite and > 0)", () -> LearningRateSchedule.exponential(0)),
                bad("Invalid milestones: [5, 5] (must be strictly increasing and >= 1)", () -> LearningRateSchedule.multiStep(new long[] {5, 5}, 0.1)),
                bad("Invalid period (T_max): 0 (must be >= 1)", () -> LearningRateSchedule.cosine(0, 0)),
                bad("Invalid minLr (eta_min): -1.0 (must be finite and >= 0)", () -> LearningRateSchedule.cosine(10, -1)),
                bad("Invalid warmupSteps: 0 (must be >= 1)", () -> LearningRateSchedule.warmup(0, 0.1, LearningRateSchedule.constant())),
                bad("Invalid startFactor: 0.0 (must be in (0, 1])", () -> LearningRateSchedule.warmup(10, 0, LearningRateSchedule.constant())),
                bad("Invalid size for 'w': 0 (must be >= 1)", () -> ParamArena.builder().add("w", 0)),
                bad("Duplicate parameter name: 'w'", () -> ParamArena.builder().add("w", 3).add("w", 4)),
                bad("Invalid parameter name: '' (must be non-blank)", () -> ParamArena.builder().add("", 3)),
                bad("Invalid group name: ' ' (must be non-blank)", () -> ParamArena.builder().group(" ")),
                bad("Invalid threads: 0 (must be >= 1)", () -> Device.cpu(0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void rejected(String message, Supplier<Object> build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::get);
        assertEquals(message, e.getMessage());
    }
}
