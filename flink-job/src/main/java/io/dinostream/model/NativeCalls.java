package io.dinostream.model;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps the process from exiting while a thread is inside libtorch. When the JVM exits (Ctrl-C,
 * a SIGTERM from Kubernetes or a supervisor), the C++ runtime destroys libtorch's static objects
 * while a training step or a probe forward may still run on another thread, and the process dies
 * with SIGSEGV in libtorch_cpu.so instead of ending. Work wrapped in {@link #call} holds a shared
 * lock; at exit a shutdown hook takes the exclusive one, waiting up to {@link #EXIT_WAIT} for the
 * running calls to return, and never gives it back, so no new call starts while the process ends.
 */
public final class NativeCalls {

    /** How long the exit waits for running calls: longer than any healthy step or probe forward. */
    public static final Duration EXIT_WAIT = Duration.ofSeconds(60);

    /** The gate of this process, closed by a shutdown hook. */
    public static final NativeCalls PROCESS = new NativeCalls();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> PROCESS.close(EXIT_WAIT), "libtorch-exit-gate"));
    }

    /** Work that may throw a checked exception. */
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    NativeCalls() {}

    /**
     * Runs work that calls into libtorch. Once the gate is closed it waits for good, unless
     * interrupted (Flink cancelling the task), which ends it with a {@link CancellationException}.
     */
    public static <T, E extends Exception> T call(Work<T, E> work) throws E {
        return PROCESS.enter(work);
    }

    <T, E extends Exception> T enter(Work<T, E> work) throws E {
        try {
            lock.readLock().lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while the process exits: no libtorch call starts now");
        }
        try {
            return work.run();
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Closes the gate: waits up to wait for the calls running now to return; no call starts after.
     *
     * @return whether every running call returned within wait
     */
    boolean close(Duration wait) {
        try {
            return lock.writeLock().tryLock(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
