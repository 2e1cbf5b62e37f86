package io.dinostream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;

/**
 * --train.precision: bf16 is refused before any bfloat16 tensor exists wherever it cannot run,
 * since DJL 0.36's JNI terminates the JVM on the first one.
 */
class PrecisionTest {

    @Test
    void parsesBothForms() {
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.BF16, Precision.parse("BF16"));
        assertEquals(Precision.BF16, Precision.parse("bfloat16"));
        assertEquals(DataType.BFLOAT16, Precision.BF16.computeType());
        assertEquals(DataType.FLOAT32, Precision.FP32.computeType());
        assertEquals("precision must be fp32 or bf16 (GPU only: mixed precision, float32 master weights), got 'fp16'",
                assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16")).getMessage());
    }

    @Test
    void bf16OnTheCpuByNameIsRefusedSayingWhatToDo() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> Precision.BF16.checkChoice(DeviceChoice.CPU)).getMessage();

        assertEquals("--train.precision bf16 runs on a GPU only, but --train.device cpu: DJL 0.36 cannot make"
                + " bfloat16 tensors (its JNI maps no bfloat16 dtype and terminates the JVM on the first one). Train on"
                + " the CPU with --train.precision fp32, or on a GPU with --train.device gpu", message);
    }

    @Test
    void bf16LeftToAutoIsRefusedWhenAutoLandsOnTheCpu() {
        LibTorch here = LibTorch.loaded();
        String message = assertThrows(IllegalStateException.class,
                () -> Precision.BF16.check(Device.cpu(), here)).getMessage();

        assertTrue(message.startsWith("--train.precision bf16 runs on a GPU only, but the device is cpu() (libtorch"
                + " 2.7.1, flavor cpu"), message);
        Precision.FP32.check(Device.cpu(), here);
    }

    @Test
    void djlsOwnJniMapsNoBfloat16SoBf16OnAGpuNeedsThePatchedOne() {
        LibTorch here = LibTorch.loaded();

        assertFalse(here.jniMapsBfloat16());
        String message = assertThrows(IllegalStateException.class,
                () -> Precision.BF16.check(Device.gpu(0), here)).getMessage();
        assertTrue(message.startsWith("--train.precision bf16: the DJL JNI loaded (" + here.jniLibrary()
                + ") is DJL 0.36's own, which maps no bfloat16 dtype"), message);
        assertTrue(message.contains("bench/djl-jni-bfloat16.patch"), message);
    }
}
