package dev.lookahead4j;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.backend.GroupRange;
import dev.lookahead4j.backend.PreparedStep;
import dev.lookahead4j.backend.RuleKind;
import dev.lookahead4j.backend.StepArgs;
import dev.lookahead4j.backend.StepBuffers;
import dev.lookahead4j.checkpoint.CheckpointException;
import dev.lookahead4j.checkpoint.OptimizerCheckpoint;
import dev.lookahead4j.optim.InnerOptimizer;
import dev.lookahead4j.optim.Powers;
import dev.lookahead4j.schedule.LearningRateSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * An inner optimizer, optionally wrapped in {@link Lookahead}, over a {@link ParamArena}.
 *
 * <h2>Lifecycle</h2>
 * <ol>
 *   <li>Build the arena, write the initial values ({@link ParamArena#setValues}).</li>
 *   <li>Build the optimizer: {@code Optimizer.builder(arena, Adam.builder().build()).lookahead(...).build()}.
 *       Its state buffers are allocated zeroed (Adagrad's accumulator at its initial value).</li>
 *   <li>Each iteration: write gradients (by name, or straight into the flat gradient buffer), call
 *       {@link #step()}, then {@link ParamArena#zeroGrad()} (or overwrite every gradient).</li>
 *   <li>At the end, optionally {@link #sync()} or evaluate with {@link #withSlowWeights(Runnable)}; close
 *       the optimizer, then the arena, then the device.</li>
 * </ol>
 * The slow weights start as a copy of the parameters as they are at the first {@code step()} (the paper's
 * phi_0 = theta_0). The first sync happens after inner step k, then 2k, ...; the inner optimizer's
 * state (step count, moments) carries on across syncs unless the {@link Pullback} policy says otherwise.
 *
 * <p>Each step is one pass over the arena (one parallel loop on the CPU, one launch for up to 32 groups on CUDA) that
 * applies the inner rule and, on sync steps, the Lookahead update in the same pass. Per-step scalars
 * (bias corrections, RAdam's rectification, NAdam's mu products) are computed here, once, in double.
 *
 * <p>Not thread-safe; a second thread entering {@link #step()} (or another call that changes state) while
 * one is running gets a {@link ConcurrentModificationException} and changes nothing. A call that throws
 * leaves parameters and state as they were.
 */
public final class Optimizer implements AutoCloseable {
    private final ParamArena arena;
    private final InnerOptimizer inner;
    private final Lookahead lookahead;
    private final LearningRateSchedule schedule;
    private final NonFinitePolicy nonFinitePolicy;
    private final Map<String, GroupOptions> groupOptions;
    private final double[] groupLr, groupWeightDecay;
    private final String[] groupNames;

    final Buffer s0, s1, s2, slow, cache;
    private Buffer backup;
    private final StepArgs args;
    private final PreparedStep prepared;

    long stepCount;
    boolean slowReady;
    double[] hostState;
    private double[] hostScratch;
    private final Powers powers = new Powers();
    private long skippedSteps;

    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean closed;

    private Optimizer(Builder b) {
        this.arena = b.arena;
        this.inner = b.inner;
        this.lookahead = b.lookahead;
        this.schedule = b.schedule;
        this.nonFinitePolicy = b.nonFinitePolicy;
        this.groupOptions = Collections.unmodifiableMap(new LinkedHashMap<>(b.groupOptions));
        arena.checkOpen();
        List<ParamGroup> groups = arena.groups();
        int n = groups.size();
        groupLr = new double[n];
        groupWeightDecay = new double[n];
        groupNames = new String[n];
        GroupRange[] ranges = new GroupRange[n];
        for (int i = 0; i < n; i++) {
            ParamGroup g = groups.get(i);
            GroupOptions o = groupOptions.get(g.name());
            groupNames[i] = g.name();
            groupLr[i] = o != null && o.lr() != null ? o.lr() : inner.lr();
            groupWeightDecay[i] = o != null && o.weightDecay() != null ? o.weightDecay() : inner.weightDecay();
            ranges[i] = new GroupRange(g.start(), g.end());
        }
        Backend backend = arena.device().backend();
        String[] names = inner.stateNames();
        List<Buffer> allocated = new ArrayList<>();
        try {
            s0 = alloc(backend, names[0], allocated);
            s1 = alloc(backend, names[1], allocated);
            s2 = alloc(backend, names[2], allocated);
            slow = lookahead != null ? alloc(backend, "slow", allocated) : null;
            cache = lookahead != null && lookahead.pullback() == Pullback.PULLBACK && inner.hasFirstMoment()
                    ? alloc(backend, "cached_momentum", allocated) : null;
            if (inner instanceof dev.lookahead4j.optim.Adagrad a && a.initialAccumulatorValue() != 0) {
                s1.fill((float) a.initialAccumulatorValue());
            }
            args = new StepArgs(n);
            if (lookahead != null) {
                args.alpha = (float) lookahead.slowStepSize();
                args.oneMinusAlpha = (float) (1 - lookahead.slowStepSize());
                args.pullback = !inner.hasFirstMoment() ? RuleKind.PULLBACK_NONE : switch (lookahead.pullback()) {
                    case NONE -> RuleKind.PULLBACK_NONE;
                    case RESET -> RuleKind.PULLBACK_RESET;
                    case PULLBACK -> RuleKind.PULLBACK_PULLBACK;
                };
            }
            prepared = backend.prepare(inner.kind(),
                    new StepBuffers(arena.valuesBuffer(), arena.gradsBuffer(), s0, s1, s2, slow, cache), ranges, args);
        } catch (RuntimeException | Error e) {
            for (Buffer buf : allocated) buf.close();
            throw e;
        }
        hostState = new double[inner.hostStateSize()];
        hostScratch = new double[hostState.length];
        inner.initHostState(hostState);
    }

    private Buffer alloc(Backend backend, String name, List<Buffer> allocated) {
        if (name == null) return null;
        Buffer b = backend.allocate(name, arena.length());
        allocated.add(b);
        return b;
    }

    public static Builder builder(ParamArena arena, InnerOptimizer inner) { return new Builder(arena, inner); }

    // ------------------------------------------------------------------ the step

    /**
     * One optimizer step with the gradients currently in the arena. Returns false when the step was
     * skipped ({@link NonFinitePolicy#SKIP_STEP} and a non-finite gradient): then nothing changed.
     */
    public boolean step() {
        enter();
        try {
            long next = stepCount + 1;
            if (nonFinitePolicy != NonFinitePolicy.PROPAGATE && !prepared.gradientsFinite()) {
                if (nonFinitePolicy == NonFinitePolicy.SKIP_STEP) {
                    skippedSteps++;
                    return false;
                }
                throw locateNonFinite(next);
            }
            System.arraycopy(hostState, 0, hostScratch, 0, hostState.length);
            inner.advanceHostState(next, hostScratch, powers);
            for (int g = 0; g < groupNames.length; g++) {
                double lr = schedule.lr(groupLr[g], stepCount);
                if (!(lr >= 0) || Double.isInfinite(lr)) {
                    throw new IllegalArgumentException("Invalid learning rate from the schedule: " + lr + " for group '"
                            + groupNames[g] + "' at step " + next + " (must be finite and >= 0); nothing was changed");
                }
                args.flags[g] = inner.scalars(next, lr, groupWeightDecay[g], hostScratch, powers, args.scalars[g]);
            }
            args.sync = lookahead != null && next % lookahead.syncPeriod() == 0;
            if (lookahead != null && !slowReady) slow.copyFrom(arena.valuesBuffer());
            prepared.step();
            slowReady = lookahead != null;
            stepCount = next;
            double[] t = hostState;
            hostState = hostScratch;
            hostScratch = t;
            return true;
        } finally {
            exit();
        }
    }

    private NonFiniteGradientException locateNonFinite(long next) {
        for (Param p : arena.params()) {
            float[] g = arena.grad(p.name());
            for (int i = 0; i < g.length; i++) {
                if (!Float.isFinite(g[i])) return new NonFiniteGradientException(p.name(), i, g[i], next);
            }
        }
        return new NonFiniteGradientException("(alignment padding)", -1, Float.NaN, next);
    }

    /** Sets every gradient to zero (same as {@link ParamArena#zeroGrad()}). */
    public void zeroGrad() {
        checkOpen();
        arena.zeroGrad();
    }

    /** Number of steps applied (skipped steps not counted). */
    public long stepCount() {
        checkNotClosed();
        return stepCount;
    }

    /** Number of steps skipped by {@link NonFinitePolicy#SKIP_STEP} since this optimizer was built. */
    public long skippedSteps() {
        checkNotClosed();
        return skippedSteps;
    }

    /** The learning rate the next step will use in {@code group}. */
    public double learningRate(String group) {
        checkNotClosed();
        for (int g = 0; g < groupNames.length; g++) {
            if (groupNames[g].equals(group)) return schedule.lr(groupLr[g], stepCount);
        }
        throw new IllegalArgumentException("Unknown parameter group: '" + group + "' (groups: " + List.of(groupNames) + ")");
    }

    // ------------------------------------------------------------------ Lookahead

    /**
     * A sync now, outside the k-cycle (e.g. at the end of training): {@code phi += alpha*(theta - phi);
     * theta = phi}, with the pullback policy. The step counter and the cycle position do not change.
     */
    public void sync() {
        requireLookahead("sync()");
        enter();
        try {
            if (!slowReady) slow.copyFrom(arena.valuesBuffer());
            prepared.syncOnly();
            slowReady = true;
        } finally {
            exit();
        }
    }

    /**
     * Runs {@code body} with the slow weights loaded into the parameters (to evaluate them) and always
     * restores the fast weights afterwards, also when {@code body} throws. The optimizer cannot step
     * inside {@code body}.
     */
    public void withSlowWeights(Runnable body) {
        if (body == null) throw new IllegalArgumentException("Invalid body: null");
        withSlowWeights(() -> {
            body.run();
            return null;
        });
    }

    /** As {@link #withSlowWeights(Runnable)}, returning the body's result. */
    public <T> T withSlowWeights(Supplier<T> body) {
        if (body == null) throw new IllegalArgumentException("Invalid body: null");
        requireLookahead("withSlowWeights()");
        enter();
        try {
            if (!slowReady) return body.get(); // phi = theta before the first step
            Buffer params = arena.valuesBuffer();
            if (backup == null) backup = arena.device().backend().allocate("fast-weights backup", arena.length());
            backup.copyFrom(params);
            params.copyFrom(slow);
            try {
                return body.get();
            } finally {
                params.copyFrom(backup);
            }
        } finally {
            exit();
        }
    }

    /** The Euclidean distance ||theta - phi|| over the whole arena (0 before the first step), in double. */
    public double slowDistance() {
        requireLookahead("slowDistance()");
        checkOpen();
        return slowReady ? Math.sqrt(prepared.slowDistanceSquared()) : 0.0;
    }

    /** The global L2 norm of the gradients, accumulated in double in a fixed order. */
    public double gradientNorm() {
        checkOpen();
        return Math.sqrt(prepared.gradientSquaredNorm());
    }

    /** A copy of the slow weights of {@code name} (the parameters themselves before the first step). */
    public float[] slowValues(String name) {
        requireLookahead("slowValues()");
        checkOpen();
        Param p = arena.param(name);
        float[] out = new float[p.size()];
        (slowReady ? slow : arena.valuesBuffer()).read(p.offset(), out, 0, p.size());
        return out;
    }

    /** A copy of the inner state buffer {@code stateName} (e.g. "exp_avg") of parameter {@code name}. */
    public float[] stateValues(String stateName, String name) {
        checkOpen();
        Buffer b = stateBuffers().get(stateName);
        if (b == null) throw new IllegalArgumentException("Unknown state buffer: '" + stateName + "' (this optimizer has " + stateBuffers().keySet() + ")");
        Param p = arena.param(name);
        float[] out = new float[p.size()];
        b.read(p.offset(), out, 0, p.size());
        return out;
    }

    /** The state buffers by name: the rule's (PyTorch's keys), "slow" and "cached_momentum" where present. */
    public Map<String, Buffer> stateBuffers() {
        checkOpen();
        Map<String, Buffer> m = new LinkedHashMap<>();
        String[] names = inner.stateNames();
        Buffer[] bufs = {s0, s1, s2};
        for (int i = 0; i < 3; i++) if (names[i] != null) m.put(names[i], bufs[i]);
        if (slow != null) m.put("slow", slow);
        if (cache != null) m.put("cached_momentum", cache);
        return Collections.unmodifiableMap(m);
    }

    // ------------------------------------------------------------------ configuration

    public ParamArena arena() { checkNotClosed(); return arena; }
    public InnerOptimizer inner() { checkNotClosed(); return inner; }
    public Optional<Lookahead> lookahead() { checkNotClosed(); return Optional.ofNullable(lookahead); }
    public LearningRateSchedule schedule() { checkNotClosed(); return schedule; }
    public NonFinitePolicy nonFinitePolicy() { checkNotClosed(); return nonFinitePolicy; }
    public Map<String, GroupOptions> groupOptions() { checkNotClosed(); return groupOptions; }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Writes the complete state to {@code path} as a safetensors checkpoint (see
     * {@link dev.lookahead4j.checkpoint.Checkpoint}): parameters, every state buffer, slow weights, the
     * step count (which is also the schedule position and, modulo k, the Lookahead cycle position) and
     * the configuration. The file is written to a temporary file in the same directory, forced to disk
     * and renamed atomically over {@code path}: a crash or a failed save never leaves a partial file
     * under {@code path} and never destroys the checkpoint already there. Gradients are not saved.
     */
    public void save(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("Invalid path: null");
        enter();
        try {
            OptimizerCheckpoint.save(this, new OptimizerCheckpoint.Counters(stepCount, slowReady, hostState, skippedSteps), path);
        } finally {
            exit();
        }
    }

    /**
     * Restores the state saved by {@link #save(Path)} into this optimizer, which must have the same
     * inner optimizer type and options, Lookahead settings, group options and parameters (names, sizes,
     * groups; the order and alignment in the arena may differ). The schedule is not stored (it is code):
     * build this optimizer with the same one; its position is the restored step count. The non-finite
     * policy may differ. The whole file is read into host memory and checked first; on any
     * {@link CheckpointException} (its reason and field say what did not fit) or I/O error this
     * optimizer is exactly as before the call. The skipped-steps count is restored too.
     */
    public void load(Path path) throws IOException {
        if (path == null) throw new IllegalArgumentException("Invalid path: null");
        enter();
        try {
            OptimizerCheckpoint.Staged staged = OptimizerCheckpoint.stage(this, path);
            OptimizerCheckpoint.Counters c = staged.counters();
            staged.writeInto(this);
            stepCount = c.stepCount();
            slowReady = c.slowReady();
            hostState = c.hostState();
            hostScratch = new double[hostState.length];
            skippedSteps = c.skippedSteps();
        } finally {
            exit();
        }
    }

    /** True once {@link #close()} was called. */
    public boolean isClosed() { return closed; }

    // ------------------------------------------------------------------ plumbing

    private void requireLookahead(String what) {
        if (lookahead == null) throw new IllegalStateException(what + " needs Lookahead; this optimizer is a plain " + inner.typeName());
    }

    void checkOpen() {
        checkNotClosed();
        arena.checkOpen();
    }

    private void checkNotClosed() {
        if (closed) throw new IllegalStateException("optimizer is closed");
    }

    /** Marks a state-changing call as running; a concurrent second one fails without changing anything. */
    void enter() {
        checkOpen();
        if (!busy.compareAndSet(false, true)) {
            throw new ConcurrentModificationException("another call is changing this optimizer right now (step() from two threads?); nothing was changed");
        }
    }

    void exit() { busy.set(false); }

    /** Frees the optimizer's state buffers; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Buffer b : new Buffer[] {s0, s1, s2, slow, cache, backup}) if (b != null) b.close();
    }

    /** Configures an optimizer. */
    public static final class Builder {
        private final ParamArena arena;
        private final InnerOptimizer inner;
        private Lookahead lookahead;
        private LearningRateSchedule schedule = LearningRateSchedule.constant();
        private NonFinitePolicy nonFinitePolicy = NonFinitePolicy.PROPAGATE;
        private final Map<String, GroupOptions> groupOptions = new LinkedHashMap<>();

        private Builder(ParamArena arena, InnerOptimizer inner) {
            if (arena == null) throw new IllegalArgumentException("Invalid arena: null");
            if (inner == null) throw new IllegalArgumentException("Invalid inner optimizer: null");
            this.arena = arena;
            this.inner = inner;
        }

        /** Wraps the inner optimizer in Lookahead (null: plain inner optimizer). */
        public Builder lookahead(Lookahead l) { lookahead = l; return this; }

        public Builder schedule(LearningRateSchedule s) {
            if (s == null) throw new IllegalArgumentException("Invalid schedule: null (use LearningRateSchedule.constant())");
            schedule = s;
            return this;
        }

        public Builder nonFinitePolicy(NonFinitePolicy p) {
            if (p == null) throw new IllegalArgumentException("Invalid nonFinitePolicy: null (PROPAGATE, SKIP_STEP or THROW)");
            nonFinitePolicy = p;
            return this;
        }

        /** Overrides the learning rate and/or weight decay of the arena's group {@code name}. */
        public Builder group(String name, GroupOptions options) {
            arena.group(name); // validates the name
            if (options == null) throw new IllegalArgumentException("Invalid options for group '" + name + "': null");
            groupOptions.put(name, options);
            return this;
        }

        public Optimizer build() { return new Optimizer(this); }
    }
}
