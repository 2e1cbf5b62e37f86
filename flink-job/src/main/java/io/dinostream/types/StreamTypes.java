package io.dinostream.types;

import io.dinostream.proto.DeadLetter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Flink type information for every value that crosses an operator boundary in the job, each with
 * a field-by-field serializer (no Kryo). Views stay 8-bit: a 32 px view is 3 KiB on the wire.
 *
 * <p>No field of an event can fail a serializer: strings of any length go through
 * {@link LengthSafeStrings}, null bytes are kept as null. Both encodings read everything format 1
 * wrote, unchanged, so each format stays version 1 and restores its old snapshots as they are.
 */
public final class StreamTypes {

    public static final TypeInformation<RawRecord> RAW_RECORD =
            new ValueTypeInfo<>(RawRecord.class, RawRecordSerializer::new);
    public static final TypeInformation<DecodedImage> DECODED_IMAGE =
            new ValueTypeInfo<>(DecodedImage.class, DecodedImageSerializer::new);
    public static final TypeInformation<CropSet> CROP_SET =
            new ValueTypeInfo<>(CropSet.class, CropSetSerializer::new);
    public static final TypeInformation<TrainingReport> TRAINING_REPORT =
            new ValueTypeInfo<>(TrainingReport.class, TrainingReportSerializer::new);
    public static final TypeInformation<ModelSnapshot> MODEL_SNAPSHOT =
            new ValueTypeInfo<>(ModelSnapshot.class, ModelSnapshotSerializer::new);
    public static final TypeInformation<DeadLetter> DEAD_LETTER =
            new ValueTypeInfo<>(DeadLetter.class, DeadLetterSerializer::new);

    private StreamTypes() {}

    /** Bit of the position's flag byte that says a replay number follows the position. */
    private static final int REPLAY_FLAG = 2;
    /** Bit of the position's flag byte that says a record time follows (after the replay number). */
    private static final int TIME_FLAG = 4;

    /**
     * A position, a replay number (0: not a replay) and a record time ({@link DecodedImage#NO_TIME}:
     * none). Format 1 wrote the position's presence as a boolean byte, 0 or 1; a replay sets bit 1 of
     * that byte and appends its number after the position, a time sets bit 2 and appends it after
     * that. So what format 1 wrote reads back unchanged, and an image with neither is written byte for
     * byte as format 1 wrote it.
     */
    static void writePositionAndReplay(SourcePosition p, long replay, long time, DataOutputView out)
            throws IOException {
        out.writeByte((p != null ? 1 : 0) | (replay > 0 ? REPLAY_FLAG : 0) | (time >= 0 ? TIME_FLAG : 0));
        if (p != null) {
            LengthSafeStrings.write(p.topic(), out);
            out.writeInt(p.partition());
            out.writeLong(p.offset());
        }
        if (replay > 0) {
            out.writeLong(replay);
        }
        if (time >= 0) {
            out.writeLong(time);
        }
    }

    /** What {@link #writePositionAndReplay} wrote: the position (or null), the replay number and the time. */
    record PositionAndReplay(SourcePosition position, long replay, long time) {}

    static PositionAndReplay readPositionAndReplay(DataInputView in) throws IOException {
        int flags = in.readUnsignedByte();
        if ((flags & ~(1 | REPLAY_FLAG | TIME_FLAG)) != 0) {
            throw new IOException("corrupt position flags " + flags);
        }
        SourcePosition p = (flags & 1) != 0
                ? new SourcePosition(LengthSafeStrings.read(in), in.readInt(), in.readLong()) : null;
        long replay = (flags & REPLAY_FLAG) != 0 ? in.readLong() : 0;
        if (replay < 0) {
            throw new IOException("corrupt replay number " + replay);
        }
        long time = (flags & TIME_FLAG) != 0 ? in.readLong() : DecodedImage.NO_TIME;
        if ((flags & TIME_FLAG) != 0 && time < 0) {
            throw new IOException("corrupt record time " + time);
        }
        return new PositionAndReplay(p, replay, time);
    }

    /**
     * Bytes that may be null (a Kafka tombstone's value), as length -1: no earlier format wrote a
     * negative length, so what it wrote reads back unchanged.
     */
    static void writeNullableBytes(byte[] bytes, DataOutputView out) throws IOException {
        if (bytes == null) {
            out.writeInt(-1);
        } else {
            ValueSerializer.writeBytes(bytes, out);
        }
    }

    static byte[] readNullableBytes(DataInputView in) throws IOException {
        int length = in.readInt();
        if (length == -1) {
            return null;
        }
        if (length < 0) {
            throw new IOException("corrupt byte array: negative length " + length);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }

    static void writeImage(RgbImage image, DataOutputView out) throws IOException {
        out.writeInt(image.width());
        out.writeInt(image.height());
        byte[] bytes = new byte[image.byteSize()];
        image.copyTo(bytes, 0);
        out.write(bytes);
    }

    static RgbImage readImage(DataInputView in) throws IOException {
        int w = in.readInt();
        int h = in.readInt();
        byte[] bytes = new byte[w * h * 3];
        in.readFully(bytes);
        return new RgbImage(w, h, bytes);
    }

    static void writeImages(List<RgbImage> images, DataOutputView out) throws IOException {
        out.writeInt(images.size());
        for (RgbImage image : images) {
            writeImage(image, out);
        }
    }

    static List<RgbImage> readImages(DataInputView in) throws IOException {
        int n = in.readInt();
        List<RgbImage> images = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            images.add(readImage(in));
        }
        return images;
    }

    /** Serializer of {@link RawRecord}. */
    public static final class RawRecordSerializer extends ValueSerializer<RawRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(RawRecord r, DataOutputView out) throws IOException {
            out.writeBoolean(r.key() != null);
            if (r.key() != null) {
                writeBytes(r.key(), out);
            }
            writeNullableBytes(r.value(), out);
            LengthSafeStrings.write(r.topic(), out);
            out.writeInt(r.partition());
            out.writeLong(r.offset());
            out.writeLong(r.timestamp());
        }

        @Override
        protected RawRecord read(DataInputView in) throws IOException {
            byte[] key = in.readBoolean() ? readBytes(in) : null;
            return new RawRecord(key, readNullableBytes(in), LengthSafeStrings.read(in), in.readInt(), in.readLong(), in.readLong());
        }

        @Override
        public TypeSerializerSnapshot<RawRecord> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<RawRecord> {
            public Snapshot() {
                super(RawRecordSerializer::new);
            }
        }
    }

    /** Serializer of {@link DecodedImage}. */
    public static final class DecodedImageSerializer extends ValueSerializer<DecodedImage> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(DecodedImage d, DataOutputView out) throws IOException {
            LengthSafeStrings.write(d.id(), out);
            writePositionAndReplay(d.position(), d.replay(), d.time(), out);
            writeImage(d.image(), out);
            LengthSafeStrings.write(d.label(), out);
        }

        @Override
        protected DecodedImage read(DataInputView in) throws IOException {
            String id = LengthSafeStrings.read(in);
            PositionAndReplay p = readPositionAndReplay(in);
            return new DecodedImage(id, p.position(), readImage(in), LengthSafeStrings.read(in), p.replay(), p.time());
        }

        @Override
        public TypeSerializerSnapshot<DecodedImage> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<DecodedImage> {
            public Snapshot() {
                super(DecodedImageSerializer::new);
            }
        }
    }

    /** Serializer of {@link CropSet}: 8-bit views, never floats. */
    public static final class CropSetSerializer extends ValueSerializer<CropSet> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(CropSet c, DataOutputView out) throws IOException {
            LengthSafeStrings.write(c.sourceId(), out);
            writePositionAndReplay(c.position(), c.replay(), DecodedImage.NO_TIME, out);
            writeImages(c.globalViews(), out);
            writeImages(c.localViews(), out);
        }

        @Override
        protected CropSet read(DataInputView in) throws IOException {
            String id = LengthSafeStrings.read(in);
            PositionAndReplay p = readPositionAndReplay(in);
            return new CropSet(id, p.position(), readImages(in), readImages(in), p.replay());
        }

        @Override
        public TypeSerializerSnapshot<CropSet> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<CropSet> {
            public Snapshot() {
                super(CropSetSerializer::new);
            }
        }
    }

    /** Serializer of {@link TrainingReport}. */
    public static final class TrainingReportSerializer extends ValueSerializer<TrainingReport> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(TrainingReport r, DataOutputView out) throws IOException {
            out.writeLong(r.step());
            out.writeBoolean(r.applied());
            out.writeDouble(r.loss());
            out.writeDouble(r.lr());
            out.writeDouble(r.weightDecay());
            out.writeDouble(r.teacherMomentum());
            out.writeDouble(r.teacherTemp());
            out.writeDouble(r.teacherEntropy());
            out.writeDouble(r.teacherBatchEntropy());
            out.writeInt(r.batchSize());
            out.writeLong(r.imagesSeen());
            out.writeLong(r.nonFiniteSteps());
            out.writeDouble(r.seconds());
        }

        /** Reads the fields in the order {@link #write} wrote them (chained calls run left to right). */
        @Override
        protected TrainingReport read(DataInputView in) throws IOException {
            return TrainingReport.builder()
                    .step(in.readLong())
                    .applied(in.readBoolean())
                    .loss(in.readDouble())
                    .lr(in.readDouble())
                    .weightDecay(in.readDouble())
                    .teacherMomentum(in.readDouble())
                    .teacherTemp(in.readDouble())
                    .teacherEntropy(in.readDouble())
                    .teacherBatchEntropy(in.readDouble())
                    .batchSize(in.readInt())
                    .imagesSeen(in.readLong())
                    .nonFiniteSteps(in.readLong())
                    .seconds(in.readDouble())
                    .build();
        }

        @Override
        public TypeSerializerSnapshot<TrainingReport> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<TrainingReport> {
            public Snapshot() {
                super(TrainingReportSerializer::new);
            }
        }
    }

    /** Serializer of {@link ModelSnapshot}. */
    public static final class ModelSnapshotSerializer extends ValueSerializer<ModelSnapshot> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(ModelSnapshot s, DataOutputView out) throws IOException {
            out.writeLong(s.step());
            out.writeLong(s.imagesSeen());
            out.writeLong(s.createdAtMillis());
            writeBytes(s.teacher(), out);
            writeBytes(s.student(), out);
            out.writeInt(s.metrics().size());
            for (Map.Entry<String, Double> e : s.metrics().entrySet()) {
                LengthSafeStrings.write(e.getKey(), out);
                out.writeDouble(e.getValue());
            }
            out.writeInt(s.kafkaOffsets().size());
            for (Map.Entry<String, Long> e : s.kafkaOffsets().entrySet()) {
                LengthSafeStrings.write(e.getKey(), out);
                out.writeLong(e.getValue());
            }
            out.writeBoolean(s.isFinal());
            out.writeInt(s.evaluation().size());
            for (Map.Entry<String, Double> e : s.evaluation().entrySet()) {
                LengthSafeStrings.write(e.getKey(), out);
                out.writeDouble(e.getValue());
            }
        }

        @Override
        protected ModelSnapshot read(DataInputView in) throws IOException {
            long step = in.readLong();
            long images = in.readLong();
            long created = in.readLong();
            byte[] teacher = readBytes(in);
            byte[] student = readBytes(in);
            Map<String, Double> metrics = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                metrics.put(LengthSafeStrings.read(in), in.readDouble());
            }
            Map<String, Long> offsets = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                offsets.put(LengthSafeStrings.read(in), in.readLong());
            }
            boolean isFinal = in.readBoolean();
            Map<String, Double> evaluation = new LinkedHashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                evaluation.put(LengthSafeStrings.read(in), in.readDouble());
            }
            return new ModelSnapshot(step, images, created, teacher, student, metrics, offsets, isFinal, evaluation);
        }

        @Override
        public TypeSerializerSnapshot<ModelSnapshot> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<ModelSnapshot> {
            public Snapshot() {
                super(ModelSnapshotSerializer::new);
            }
        }
    }

    /** Serializer of {@link DeadLetter}: its protobuf bytes. */
    public static final class DeadLetterSerializer extends ValueSerializer<DeadLetter> {
        private static final long serialVersionUID = 1L;

        @Override
        protected void write(DeadLetter d, DataOutputView out) throws IOException {
            writeBytes(d.toByteArray(), out);
        }

        @Override
        protected DeadLetter read(DataInputView in) throws IOException {
            return DeadLetter.parseFrom(readBytes(in));
        }

        @Override
        public TypeSerializerSnapshot<DeadLetter> snapshotConfiguration() {
            return new Snapshot();
        }

        /** Format version 1. */
        public static final class Snapshot extends SimpleTypeSerializerSnapshot<DeadLetter> {
            public Snapshot() {
                super(DeadLetterSerializer::new);
            }
        }
    }
}
