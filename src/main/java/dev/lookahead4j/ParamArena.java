package dev.lookahead4j;

import dev.lookahead4j.backend.Backend;
import dev.lookahead4j.backend.Buffer;
import dev.lookahead4j.cpu.HostBuffer;
import java.lang.ref.Cleaner;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * All parameters of a model in one flat buffer per kind: values ("params") and gradients ("grads")
 * here, and each optimizer state in the {@link Optimizer}. A parameter is a name, an element offset
 * aligned to {@link #ALIGNMENT} elements, a size and a group; groups are laid out one after another.
 *
 * <pre>{@code
 * try (Device cpu = Device.cpu();
 *      ParamArena arena = ParamArena.builder()
 *          .group("decay").add("fc1.weight", 784 * 256).add("fc2.weight", 256 * 10)
 *          .group("no_decay").add("fc1.bias", 256).add("fc2.bias", 10)
 *          .build(cpu)) { ... }
 * }</pre>
 * Values and gradients are read and written by name ({@code float[]} or {@link FloatBuffer}); on the
 * CPU, {@link #paramsArray()} and {@link #gradsArray()} give the whole flat arrays for zero-copy use.
 * Padding between parameters stays zero. Not thread-safe: one owner.
 *
 * <p>{@link #close()} is idempotent; afterwards every method but {@code close()} and {@link #isClosed()}
 * throws {@link IllegalStateException}, as it does once the device is closed. An arena that is
 * garbage-collected without {@code close()} is reported as a leak (see {@link Device}); a leaked CPU
 * arena's arrays are released then, a CUDA arena's memory when its device is closed.
 */
public final class ParamArena implements AutoCloseable {
    /** Each parameter starts at a multiple of this many elements (128 bytes). */
    public static final int ALIGNMENT = 32;

    private final Device device;
    private final List<Param> params;
    private final Map<String, Param> byName;
    private final List<ParamGroup> groups;
    private final long length;
    private final long parameterCount;
    private Buffer values, grads;
    private volatile boolean closed;
    private final Device.LeakCheck leak;
    private final Cleaner.Cleanable cleanable;

    private ParamArena(Device device, List<ParamGroup> groups, long length) {
        this.device = device;
        this.groups = List.copyOf(groups);
        List<Param> all = new ArrayList<>();
        Map<String, Param> names = new LinkedHashMap<>();
        long count = 0;
        for (ParamGroup g : groups) {
            for (Param p : g.params()) {
                all.add(p);
                names.put(p.name(), p);
                count += p.size();
            }
        }
        this.params = List.copyOf(all);
        this.byName = Collections.unmodifiableMap(names);
        this.length = length;
        this.parameterCount = count;
        Backend backend = device.backend();
        Buffer v = backend.allocate("params", length);
        try {
            this.grads = backend.allocate("grads", length);
        } catch (RuntimeException | Error e) {
            v.close();
            throw e;
        }
        this.values = v;
        Buffer g = grads;
        AutoCloseable release = device.kind() == Device.Kind.CPU ? () -> { v.close(); g.close(); } : null;
        this.leak = new Device.LeakCheck("ParamArena[" + params.size() + " parameters, " + length + " elements, on "
                + device.describe() + "]", release);
        this.cleanable = Device.CLEANER.register(this, leak);
    }

    public static Builder builder() { return new Builder(); }

    public Device device() { checkOpen(); return device; }

    /** All parameters in layout order. */
    public List<Param> params() { checkOpen(); return params; }

    /** All groups in layout order. */
    public List<ParamGroup> groups() { checkOpen(); return groups; }

    /** The group called {@code name}. */
    public ParamGroup group(String name) {
        checkOpen();
        for (ParamGroup g : groups) if (g.name().equals(name)) return g;
        throw new IllegalArgumentException("Unknown parameter group: '" + name + "' (groups: " + groupNames() + ")");
    }

    List<String> groupNames() {
        List<String> n = new ArrayList<>();
        for (ParamGroup g : groups) n.add(g.name());
        return n;
    }

    /** The parameter called {@code name}; {@link IllegalArgumentException} if there is none. */
    public Param param(String name) {
        checkOpen();
        Param p = byName.get(name);
        if (p == null) throw new IllegalArgumentException("Unknown parameter: '" + name + "' (" + byName.size() + " parameters, e.g. "
                + (params.isEmpty() ? "none" : "'" + params.get(0).name() + "'") + ")");
        return p;
    }

    public boolean hasParam(String name) { checkOpen(); return byName.containsKey(name); }

    /** Elements in each flat buffer, padding included. */
    public long length() { checkOpen(); return length; }

    /** Sum of the parameters' sizes (no padding). */
    public long parameterCount() { checkOpen(); return parameterCount; }

    /** True once {@link #close()} was called (the device may also have been closed: see {@link Device#isClosed()}). */
    public boolean isClosed() { return closed; }

    // ------------------------------------------------------------------ values and gradients by name

    /** Copies {@code src} (exactly the parameter's size) into the parameter's values. */
    public void setValues(String name, float[] src) { write(values, name, src); }

    /** Copies {@code src} (exactly the parameter's size) into the parameter's gradient. */
    public void setGrad(String name, float[] src) { write(grads, name, src); }

    /** Copies the remaining floats of {@code src} (exactly the parameter's size) into its values. */
    public void setValues(String name, FloatBuffer src) { setValues(name, drain(name, src)); }

    /** Copies the remaining floats of {@code src} (exactly the parameter's size) into its gradient. */
    public void setGrad(String name, FloatBuffer src) { setGrad(name, drain(name, src)); }

    /** A new array with the parameter's values. */
    public float[] values(String name) { return read(values, name, null); }

    /** A new array with the parameter's gradient. */
    public float[] grad(String name) { return read(grads, name, null); }

    /** Copies the parameter's values into {@code dst} (of exactly its size) and returns it. */
    public float[] values(String name, float[] dst) { return read(values, name, dst); }

    /** Copies the parameter's gradient into {@code dst} (of exactly its size) and returns it. */
    public float[] grad(String name, float[] dst) { return read(grads, name, dst); }

    /** Zero-copy view of a parameter's values (CPU arenas only); writes go straight to the arena. */
    public FloatBuffer valuesView(String name) { return view(values, name); }

    /** Zero-copy view of a parameter's gradient (CPU arenas only). */
    public FloatBuffer gradView(String name) { return view(grads, name); }

    /** The whole flat values array (CPU arenas only): parameter p is at [p.offset(), p.offset()+p.size()). */
    public float[] paramsArray() { return hostArray(values, "paramsArray"); }

    /** The whole flat gradient array (CPU arenas only). */
    public float[] gradsArray() { return hostArray(grads, "gradsArray"); }

    // ------------------------------------------------------------------ raw device memory (CUDA arenas)

    /**
     * The raw CUDA device address of parameter {@code name}'s values ({@code size} contiguous float32),
     * for user kernels or cuBLAS on the same device; valid until the arena is closed. Work on another
     * stream must be ordered with the device's stream ({@link Device#synchronize()}, or the stream set on
     * {@code dev.lookahead4j.cuda.CudaBackend}). {@link UnsupportedOperationException} on CPU arenas.
     */
    public long devicePointer(String name) { return deviceAddress(values, name, "devicePointer"); }

    /** The raw CUDA device address of parameter {@code name}'s gradient; see {@link #devicePointer(String)}. */
    public long gradDevicePointer(String name) { return deviceAddress(grads, name, "gradDevicePointer"); }

    /** The raw CUDA device address of the whole flat values buffer ({@link #length()} floats). */
    public long paramsDevicePointer() { return deviceAddress(values, null, "paramsDevicePointer"); }

    /** The raw CUDA device address of the whole flat gradient buffer ({@link #length()} floats). */
    public long gradsDevicePointer() { return deviceAddress(grads, null, "gradsDevicePointer"); }

    private long deviceAddress(Buffer b, String name, String what) {
        checkOpen();
        long offset = name == null ? 0 : param(name).offset();
        if (!(b instanceof dev.lookahead4j.cuda.DeviceMemory m)) {
            throw new UnsupportedOperationException(what + " is only available on CUDA arenas (this one is on " + device.describe() + ")");
        }
        return m.deviceAddress() + offset * Float.BYTES;
    }

    /** Sets every gradient to zero. */
    public void zeroGrad() {
        checkOpen();
        grads.fill(0f);
    }

    // ------------------------------------------------------------------ internal

    /** The values buffer (internal). */
    public Buffer valuesBuffer() { checkOpen(); return values; }

    /** The gradient buffer (internal). */
    public Buffer gradsBuffer() { checkOpen(); return grads; }

    void checkOpen() {
        if (closed) throw new IllegalStateException("arena is closed");
        if (device.isClosed()) throw new IllegalStateException("the arena's device is closed: " + device.describe());
    }

    private void write(Buffer b, String name, float[] src) {
        checkOpen();
        Param p = param(name);
        if (src == null) throw new IllegalArgumentException("Invalid array for '" + name + "': null");
        if (src.length != p.size()) {
            throw new IllegalArgumentException("Wrong size for '" + name + "': " + src.length + " values given, the parameter has " + p.size());
        }
        b.write(p.offset(), src, 0, p.size());
    }

    private float[] read(Buffer b, String name, float[] dst) {
        checkOpen();
        Param p = param(name);
        if (dst == null) dst = new float[p.size()];
        else if (dst.length != p.size()) {
            throw new IllegalArgumentException("Wrong size for '" + name + "': destination has " + dst.length + " elements, the parameter has " + p.size());
        }
        b.read(p.offset(), dst, 0, p.size());
        return dst;
    }

    private float[] drain(String name, FloatBuffer src) {
        Param p = param(name);
        if (src == null) throw new IllegalArgumentException("Invalid buffer for '" + name + "': null");
        if (src.remaining() != p.size()) {
            throw new IllegalArgumentException("Wrong size for '" + name + "': " + src.remaining() + " values remaining, the parameter has " + p.size());
        }
        float[] a = new float[p.size()];
        src.duplicate().get(a);
        return a;
    }

    private FloatBuffer view(Buffer b, String name) {
        checkOpen();
        Param p = param(name);
        float[] a = hostArray(b, "views");
        return FloatBuffer.wrap(a, (int) p.offset(), p.size()).slice();
    }

    private float[] hostArray(Buffer b, String what) {
        checkOpen();
        if (!(b instanceof HostBuffer h)) {
            throw new UnsupportedOperationException(what + " is only available on CPU arenas (this one is on " + device.describe() + ")");
        }
        return h.array();
    }

    /** Frees the values and gradients; idempotent. Optimizers over this arena must not be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        leak.closedExplicitly = true;
        cleanable.clean();
        values.close();
        grads.close();
    }

    /** Lays out named parameters in groups. */
    public static final class Builder {
        private final Map<String, List<String[]>> groups = new LinkedHashMap<>();
        private final Map<String, Integer> sizes = new LinkedHashMap<>();
        private String current = "default";

        /** Parameters added after this call go to group {@code name} (created on first use). */
        public Builder group(String name) {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("Invalid group name: '" + name + "' (must be non-blank)");
            current = name;
            return this;
        }

        /** Adds parameter {@code name} with {@code size} elements to the current group ("default" until {@link #group} is called). */
        public Builder add(String name, int size) {
            if (name == null || name.isBlank()) throw new IllegalArgumentException("Invalid parameter name: '" + name + "' (must be non-blank)");
            if (size < 1) throw new IllegalArgumentException("Invalid size for '" + name + "': " + size + " (must be >= 1)");
            if (sizes.containsKey(name)) throw new IllegalArgumentException("Duplicate parameter name: '" + name + "'");
            sizes.put(name, size);
            groups.computeIfAbsent(current, k -> new ArrayList<>()).add(new String[] {name});
            return this;
        }

        /** Allocates the arena's values and gradients (zeroed) on {@code device}. */
        public ParamArena build(Device device) {
            if (device == null) throw new IllegalArgumentException("Invalid device: null");
            if (sizes.isEmpty()) throw new IllegalArgumentException("An arena needs at least one parameter");
            List<ParamGroup> out = new ArrayList<>();
            long offset = 0;
            for (Map.Entry<String, List<String[]>> e : groups.entrySet()) {
                long start = offset;
                List<Param> ps = new ArrayList<>();
                for (String[] n : e.getValue()) {
                    int size = sizes.get(n[0]);
                    ps.add(new Param(n[0], offset, size, e.getKey()));
                    offset = align(offset + size);
                }
                out.add(new ParamGroup(e.getKey(), start, offset, ps));
            }
            return new ParamArena(device, out, offset);
        }

        private static long align(long x) {
            return (x + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
        }
    }
}
