package io.dinostream.train;

import ai.djl.ndarray.NDArray;
import io.dinostream.model.Module;

import java.util.Iterator;
import java.util.Map;

/**
 * The momentum teacher (Caron et al. 2021, sec. 3.1; He et al. 2020): after every student update,
 * θt ← λ·θt + (1 − λ)·θs over all parameters of backbone and head, frozen ones included. Buffers
 * (BatchNorm running statistics) are not averaged: each network keeps its own, as in main_dino.py.
 */
public final class EmaTeacher {

    private EmaTeacher() {}

    /** Moves every teacher parameter towards the student's with momentum λ = {@code momentum}. */
    public static void update(Module teacher, Module student, double momentum) {
        Map<String, NDArray> t = teacher.parameters();
        Map<String, NDArray> s = student.parameters();
        if (!t.keySet().equals(s.keySet())) {
            throw new IllegalStateException("teacher and student differ in structure");
        }
        Iterator<NDArray> studentParams = s.values().iterator();
        for (NDArray teacherParam : t.values()) {
            NDArray studentParam = studentParams.next();
            teacherParam.muli(momentum).addi(studentParam.stopGradient().mul(1 - momentum));
        }
    }
}
