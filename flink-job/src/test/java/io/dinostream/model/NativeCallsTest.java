package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The exit gate: the process ends only after the libtorch calls running in it have returned. */
final class NativeCallsTest {

    /** A call that runs until released, on a daemon thread. */
    private static CountDownLatch runningCall(NativeCalls gate) throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                gate.enter(() -> {
                    entered.countDown();
                    return release.await(1, TimeUnit.HOURS);
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.setDaemon(true);
        t.start();
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        return release;
    }

    @Test
    void closingWaitsForTheRunningCallToReturn() throws Exception {
        NativeCalls gate = new NativeCalls();
        CountDownLatch release = runningCall(gate);

        CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> gate.close(Duration.ofSeconds(30)));
        Thread.sleep(300);
        assertFalse(closed.isDone(), "closed while a call was still inside");

        release.countDown();
        assertTrue(closed.get(10, TimeUnit.SECONDS), "every running call returned");
    }

    @Test
    void noCallStartsOnceTheGateIsClosed() throws Exception {
        NativeCalls gate = new NativeCalls();
        assertTrue(gate.close(Duration.ofSeconds(1)));

        AtomicBoolean ran = new AtomicBoolean();
        Thread late = new Thread(() -> gate.enter(() -> ran.getAndSet(true)));
        late.setDaemon(true); // it waits for good, as the process ends
        late.start();
        late.join(500);

        assertTrue(late.isAlive(), "the late call waits at the gate");
        assertFalse(ran.get());
    }

    @Test
    void aCallWaitingAtTheClosedGateEndsWhenItsThreadIsInterrupted() throws Exception {
        NativeCalls gate = new NativeCalls();
        assertTrue(gate.close(Duration.ofSeconds(1)));

        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        Thread late = new Thread(() -> {
            try {
                gate.enter(() -> true);
                ended.complete(null);
            } catch (RuntimeException e) {
                ended.complete(e);
            }
        });
        late.start();
        Thread.sleep(200);
        late.interrupt(); // as Flink does when it cancels the task

        assertTrue(ended.get(10, TimeUnit.SECONDS) instanceof CancellationException);
    }

    @Test
    void closingGivesUpAfterItsWaitOnACallThatDoesNotReturn() throws Exception {
        NativeCalls gate = new NativeCalls();
        runningCall(gate);

        assertFalse(gate.close(Duration.ofMillis(200)), "a stuck call does not hold the exit for longer than the wait");
    }

    @Test
    void callsRunWhileTheGateIsOpenAndNestInsideEachOther() {
        NativeCalls gate = new NativeCalls();

        assertTrue(gate.enter(() -> gate.enter(() -> true)));
    }
}
