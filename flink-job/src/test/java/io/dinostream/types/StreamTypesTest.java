package io.dinostream.types;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dinostream.proto.DeadLetter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** Every value that crosses an operator boundary survives Flink's wire and state formats. */
final class StreamTypesTest {

    private static final SourcePosition POSITION = new SourcePosition("images", 3, 1_234_567_890_123L);

    // --- helpers ------------------------------------------------------------------------------

    private static <T> TypeSerializer<T> serializer(TypeInformation<T> type) {
        return type.createSerializer(new SerializerConfigImpl());
    }

    private static <T> byte[] bytesOf(TypeSerializer<T> serializer, T value) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(value, out);
        return out.getCopyOfBuffer();
    }

    /** Serializes then deserializes value, checking every written byte is read back. */
    private static <T> T roundTrip(TypeInformation<T> type, T value) throws IOException {
        TypeSerializer<T> serializer = serializer(type);
        DataInputDeserializer in = new DataInputDeserializer(bytesOf(serializer, value));
        T back = serializer.deserialize(in);
        assertEquals(0, in.available(), "bytes left unread");
        return back;
    }

    /** An image whose bytes run through all 256 values, so sign mistakes show. */
    private static RgbImage image(int width, int height, int seed) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 7 + seed);
        }
        return new RgbImage(width, height, rgb);
    }

    private static CropSet cropSet(SourcePosition position) {
        return new CropSet("event-17", position,
                List.of(image(32, 32, 1), image(32, 32, 2)),
                List.of(image(16, 16, 3), image(16, 16, 4), image(16, 16, 5), image(16, 16, 6)));
    }

    private static ModelSnapshot modelSnapshot() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("loss", 6.93);
        metrics.put("teacher_entropy", Double.NaN);
        Map<String, Long> offsets = new LinkedHashMap<>();
        offsets.put("images/0", 41L);
        offsets.put("images/1", Long.MAX_VALUE);
        return new ModelSnapshot(120, 3840, 1_714_564_800_000L, new byte[] {1, -2, 3}, new byte[] {-128, 127},
                metrics, offsets, true, Map.of("probe_knn_top1", 81.25, "probe_size", 400.0));
    }

    private static DeadLetter deadLetter() {
        return DeadLetter.newBuilder()
                .setOriginalValue(ByteString.copyFrom(new byte[] {0, 1, 2, (byte) 0xFF}))
                .setOriginalKey(ByteString.copyFromUtf8("cam-1"))
                .setTopic("images")
                .setPartition(2)
                .setOffset(99)
                .setReason(DeadLetter.Reason.UNDECODABLE_IMAGE)
                .setMessage("truncated JPEG")
                .setRejectedAtMillis(1_714_564_800_000L)
                .setEventId("event-17")
                .build();
    }

    private static TrainingReport report() {
        return TrainingReport.builder()
                .step(7)
                .applied(true)
                .loss(8.5)
                .lr(6.25e-4)
                .weightDecay(0.04)
                .teacherMomentum(0.996)
                .teacherTemp(0.04)
                .teacherEntropy(3.2)
                .teacherBatchEntropy(6.9)
                .batchSize(32)
                .imagesSeen(256)
                .nonFiniteSteps(1)
                .seconds(0.75)
                .build();
    }

    private static void assertSameRawRecord(RawRecord expected, RawRecord actual) {
        assertArrayEquals(expected.key(), actual.key());
        assertArrayEquals(expected.value(), actual.value());
        assertEquals(expected.topic(), actual.topic());
        assertEquals(expected.partition(), actual.partition());
        assertEquals(expected.offset(), actual.offset());
        assertEquals(expected.timestamp(), actual.timestamp());
    }

    private static void assertSameCropSet(CropSet expected, CropSet actual) {
        assertEquals(expected.sourceId(), actual.sourceId());
        assertEquals(expected.position(), actual.position());
        assertEquals(expected.globalViews(), actual.globalViews());
        assertEquals(expected.localViews(), actual.localViews());
    }

    private static void assertSameModelSnapshot(ModelSnapshot expected, ModelSnapshot actual) {
        assertEquals(expected.step(), actual.step());
        assertEquals(expected.imagesSeen(), actual.imagesSeen());
        assertEquals(expected.createdAtMillis(), actual.createdAtMillis());
        assertArrayEquals(expected.teacher(), actual.teacher());
        assertArrayEquals(expected.student(), actual.student());
        assertEquals(expected.metrics(), actual.metrics());
        assertEquals(expected.kafkaOffsets(), actual.kafkaOffsets());
        assertEquals(expected.isFinal(), actual.isFinal());
    }

    /** One sample value per stream type, with its type information. */
    private record Sample<T>(TypeInformation<T> type, T value) {}

    private static List<Sample<?>> samples() {
        return List.of(
                new Sample<>(StreamTypes.RAW_RECORD,
                        new RawRecord(new byte[] {7}, new byte[] {1, 2, 3}, "images", 0, 5, 1000)),
                new Sample<>(StreamTypes.DECODED_IMAGE, new DecodedImage("event-17", POSITION, image(5, 4, 0), "7")),
                new Sample<>(StreamTypes.CROP_SET, cropSet(POSITION)),
                new Sample<>(StreamTypes.TRAINING_REPORT, report()),
                new Sample<>(StreamTypes.MODEL_SNAPSHOT, modelSnapshot()),
                new Sample<>(StreamTypes.DEAD_LETTER, deadLetter()));
    }

    // --- round trips --------------------------------------------------------------------------

    @Test
    void rawRecordWithKeyRoundTrips() throws IOException {
        byte[] key = "cam-1".getBytes(StandardCharsets.UTF_8);
        RawRecord record = new RawRecord(key, new byte[] {0, -1, 127, -128}, "images", 4, 1L << 40, 1_714_564_800_000L);

        assertSameRawRecord(record, roundTrip(StreamTypes.RAW_RECORD, record));
    }

    @Test
    void rawRecordWithoutKeyKeepsANullKey() throws IOException {
        RawRecord record = new RawRecord(null, new byte[] {1, 2, 3}, "images", 0, 0, -1);

        RawRecord back = roundTrip(StreamTypes.RAW_RECORD, record);

        assertNull(back.key());
        assertSameRawRecord(record, back);
    }

    @Test
    void rawRecordWithEmptyKeyKeepsAnEmptyKey() throws IOException {
        RawRecord record = new RawRecord(new byte[0], new byte[] {1}, "images", 0, 0, 0);

        assertArrayEquals(new byte[0], roundTrip(StreamTypes.RAW_RECORD, record).key());
    }

    @Test
    void rawRecordWithNullValueKeepsANullValue() throws IOException {
        RawRecord tombstone = new RawRecord(new byte[] {1}, null, "images", 0, 9, 0);

        assertNull(roundTrip(StreamTypes.RAW_RECORD, tombstone).value(),
                "a Kafka tombstone stays distinguishable from an empty record");
    }

    @Test
    void rawRecordWithEmptyValueKeepsAnEmptyValue() throws IOException {
        RawRecord empty = new RawRecord(new byte[] {1}, new byte[0], "images", 0, 9, 0);

        assertArrayEquals(new byte[0], roundTrip(StreamTypes.RAW_RECORD, empty).value());
    }

    /** The replay stage's replays carry their number, with a position or without. */
    @Test
    void replaysRoundTripWithTheirNumber() throws IOException {
        for (SourcePosition p : new SourcePosition[] {POSITION, null}) {
            DecodedImage replay = new DecodedImage("event-17", p, image(5, 4, 0), "7").asReplay(1L << 40);
            DecodedImage back = roundTrip(StreamTypes.DECODED_IMAGE, replay);
            assertEquals(replay, back);
            assertEquals(1L << 40, back.replay());
            CropSet crops = cropSet(p).asReplay(3);
            CropSet cropsBack = roundTrip(StreamTypes.CROP_SET, crops);
            assertEquals(3, cropsBack.replay());
            assertEquals(p, cropsBack.position());
            assertEquals(crops.globalViews(), cropsBack.globalViews());
            assertEquals(0, roundTrip(StreamTypes.CROP_SET, cropSet(p)).replay());
        }
    }

    @Test
    void decodedImageRoundTrips() throws IOException {
        DecodedImage decoded = new DecodedImage("event-17", POSITION, image(5, 4, 0), "7");

        assertEquals(decoded, roundTrip(StreamTypes.DECODED_IMAGE, decoded));
    }

    /** The Kafka record's time travels with the image; an image without one is written as format 1 wrote it. */
    @Test
    void decodedImageKeepsItsRecordTimeAndAnUntimedOneItsFormatOneBytes() throws IOException {
        for (SourcePosition p : new SourcePosition[] {POSITION, null}) {
            DecodedImage timed = new DecodedImage("event-17", p, image(5, 4, 0), "7", 0, 1_764_000_000_123L);
            assertEquals(timed, roundTrip(StreamTypes.DECODED_IMAGE, timed));
            assertEquals(1_764_000_000_123L, roundTrip(StreamTypes.DECODED_IMAGE, timed.asReplay(5)).time());
        }
        DataOutputSerializer formatOne = new DataOutputSerializer(128);
        LengthSafeStrings.write("event-17", formatOne);
        formatOne.writeBoolean(true);
        LengthSafeStrings.write(POSITION.topic(), formatOne);
        formatOne.writeInt(POSITION.partition());
        formatOne.writeLong(POSITION.offset());
        formatOne.writeInt(5);
        formatOne.writeInt(4);
        formatOne.write(image(5, 4, 0).toBytes());
        LengthSafeStrings.write("7", formatOne);
        DecodedImage untimed = new DecodedImage("event-17", POSITION, image(5, 4, 0), "7");
        assertArrayEquals(formatOne.getCopyOfBuffer(), bytesOf(serializer(StreamTypes.DECODED_IMAGE), untimed));
        assertEquals(DecodedImage.NO_TIME, untimed.time());
    }

    @Test
    void decodedImageWithoutPositionRoundTrips() throws IOException {
        DecodedImage decoded = new DecodedImage("file-3.png", null, image(3, 7, 9));

        assertEquals(decoded, roundTrip(StreamTypes.DECODED_IMAGE, decoded));
    }

    @Test
    void cropSetWithPositionRoundTrips() throws IOException {
        CropSet crops = cropSet(POSITION);

        assertSameCropSet(crops, roundTrip(StreamTypes.CROP_SET, crops));
    }

    @Test
    void cropSetWithoutPositionRoundTrips() throws IOException {
        CropSet crops = cropSet(null);

        CropSet back = roundTrip(StreamTypes.CROP_SET, crops);

        assertNull(back.position());
        assertSameCropSet(crops, back);
    }

    @Test
    void cropSetWithoutLocalViewsRoundTrips() throws IOException {
        CropSet crops = new CropSet("g-only", List.of(image(8, 8, 1), image(8, 8, 2)), List.of());

        assertSameCropSet(crops, roundTrip(StreamTypes.CROP_SET, crops));
    }

    @Test
    void trainingReportRoundTrips() throws IOException {
        assertEquals(report(), roundTrip(StreamTypes.TRAINING_REPORT, report()));
    }

    @Test
    void trainingReportOfASkippedStepKeepsItsNonFiniteLoss() throws IOException {
        TrainingReport skipped = TrainingReport.builder()
                .step(8)
                .applied(false)
                .loss(Double.NaN)
                .lr(6.25e-4)
                .weightDecay(0.04)
                .teacherMomentum(0.996)
                .teacherTemp(0.04)
                .teacherEntropy(Double.POSITIVE_INFINITY)
                .teacherBatchEntropy(0)
                .batchSize(32)
                .imagesSeen(288)
                .nonFiniteSteps(2)
                .seconds(0.5)
                .build();

        TrainingReport back = roundTrip(StreamTypes.TRAINING_REPORT, skipped);

        assertEquals(skipped, back);
        assertFalse(back.applied());
        assertTrue(Double.isNaN(back.loss()));
    }

    /** In-flight records and savepoints hold this layout: it is the one format 1 always had. */
    @Test
    void trainingReportKeepsItsWireLayoutFieldByField() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(128);
        out.writeLong(7);
        out.writeBoolean(true);
        for (double d : new double[] {8.5, 6.25e-4, 0.04, 0.996, 0.04, 3.2, 6.9}) { // loss, lr, wd, momentum, temp, entropies
            out.writeDouble(d);
        }
        out.writeInt(32);
        out.writeLong(256);
        out.writeLong(1);
        out.writeDouble(0.75);

        assertArrayEquals(out.getCopyOfBuffer(), bytesOf(serializer(StreamTypes.TRAINING_REPORT), report()));
    }

    @Test
    void modelSnapshotRoundTripsWithItsMapsAndFinalFlag() throws IOException {
        ModelSnapshot snapshot = modelSnapshot();

        assertSameModelSnapshot(snapshot, roundTrip(StreamTypes.MODEL_SNAPSHOT, snapshot));
    }

    @Test
    void nonFinalModelSnapshotWithEmptyMapsRoundTrips() throws IOException {
        ModelSnapshot snapshot = new ModelSnapshot(0, 0, 0, new byte[0], new byte[0], Map.of(), Map.of(), false);

        ModelSnapshot back = roundTrip(StreamTypes.MODEL_SNAPSHOT, snapshot);

        assertSameModelSnapshot(snapshot, back);
        assertFalse(back.isFinal());
    }

    @Test
    void deadLetterRoundTrips() throws IOException {
        assertEquals(deadLetter(), roundTrip(StreamTypes.DEAD_LETTER, deadLetter()));
    }

    @Test
    void valuesWrittenOneAfterAnotherReadBackInOrder() throws IOException {
        TypeSerializer<CropSet> serializer = serializer(StreamTypes.CROP_SET);
        DataOutputSerializer out = new DataOutputSerializer(64);
        serializer.serialize(cropSet(POSITION), out);
        serializer.serialize(cropSet(null), out);

        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());

        assertEquals(POSITION, serializer.deserialize(in).position());
        assertNull(serializer.deserialize(in).position());
        assertEquals(0, in.available());
    }

    @Test
    void copyBetweenViewsPassesEveryTypeThroughUnchanged() throws IOException {
        for (Sample<?> sample : samples()) {
            assertCopyIsExact(sample);
        }
    }

    private static <T> void assertCopyIsExact(Sample<T> sample) throws IOException {
        TypeSerializer<T> serializer = serializer(sample.type());
        byte[] written = bytesOf(serializer, sample.value());
        DataInputDeserializer source = new DataInputDeserializer(written);
        DataOutputSerializer target = new DataOutputSerializer(64);

        serializer.copy(source, target);

        assertArrayEquals(written, target.getCopyOfBuffer(), sample.type().toString());
        assertEquals(0, source.available(), sample.type() + ": bytes left unread");
    }

    // --- strings of any length -----------------------------------------------------------------

    /** Over 64 KiB in UTF-8 (DataOutput.writeUTF refuses more than 65,535 bytes), non-ASCII included. */
    private static final String LONG = "\u00e9v\u00e9nement-\ud83d\udcf7-".repeat(6_000);

    @Test
    void decodedImageWithAnIdAndLabelOver64KiBRoundTrips() throws IOException {
        assertTrue(LONG.getBytes(StandardCharsets.UTF_8).length > 65_535);
        DecodedImage decoded = new DecodedImage(LONG, POSITION, image(5, 4, 0), LONG + "label");

        assertEquals(decoded, roundTrip(StreamTypes.DECODED_IMAGE, decoded));
    }

    @Test
    void cropSetWithASourceIdOver64KiBRoundTrips() throws IOException {
        CropSet crops = new CropSet(LONG, POSITION, List.of(image(8, 8, 1), image(8, 8, 2)), List.of(image(4, 4, 3)));

        assertSameCropSet(crops, roundTrip(StreamTypes.CROP_SET, crops));
    }

    @Test
    void rawRecordOnATopicNamedOver64KiBRoundTrips() throws IOException {
        RawRecord record = new RawRecord(null, new byte[] {1, 2}, LONG, 1, 2, 3);

        assertSameRawRecord(record, roundTrip(StreamTypes.RAW_RECORD, record));
    }

    @Test
    void modelSnapshotWithMapKeysOver64KiBRoundTrips() throws IOException {
        ModelSnapshot snapshot = new ModelSnapshot(1, 2, 3, new byte[] {1}, new byte[] {2}, Map.of(LONG + "m", 1.5),
                Map.of(LONG + "/0", 7L), false, Map.of(LONG + "e", 2.5));

        ModelSnapshot back = roundTrip(StreamTypes.MODEL_SNAPSHOT, snapshot);

        assertSameModelSnapshot(snapshot, back);
        assertEquals(snapshot.evaluation(), back.evaluation());
    }

    @Test
    void deadLetterWithAnEventIdOver64KiBRoundTrips() throws IOException {
        DeadLetter letter = deadLetter().toBuilder().setEventId(LONG).setMessage(LONG).build();

        assertEquals(letter, roundTrip(StreamTypes.DEAD_LETTER, letter));
    }

    @Test
    void aStringOfExactly65535BytesStillRoundTrips() throws IOException {
        String edge = "x".repeat(65_535);
        DecodedImage decoded = new DecodedImage(edge, POSITION, image(2, 2, 0), edge.substring(2) + "\u00e9");

        assertEquals(decoded, roundTrip(StreamTypes.DECODED_IMAGE, decoded));
    }

    /**
     * Checkpoints and savepoints taken before strings became length-safe wrote them with
     * DataOutput.writeUTF; they must restore unchanged (the trainer's state holds CropSets, the
     * monitor's state DecodedImages), including a string of exactly 65,535 bytes.
     */
    @Test
    void valuesWrittenInTheWriteUtfFormatStillReadBack() throws IOException {
        String edge = "y".repeat(65_535);
        DataOutputSerializer old = new DataOutputSerializer(64);
        old.writeUTF("\u00e9vent-\u0000-17"); // writeUTF's modified UTF-8: NUL as two bytes
        old.writeBoolean(true);
        old.writeUTF("images");
        old.writeInt(3);
        old.writeLong(42);
        old.writeInt(2);
        old.writeInt(1);
        old.write(new byte[] {1, 2, 3, 4, 5, 6});
        old.writeUTF(edge);
        DataOutputSerializer oldCrops = new DataOutputSerializer(64);
        oldCrops.writeUTF(edge);
        oldCrops.writeBoolean(false);
        oldCrops.writeInt(1); // one global view of 1x1 pixels, no local views
        oldCrops.writeInt(1);
        oldCrops.writeInt(1);
        oldCrops.write(new byte[] {7, 8, 9});
        oldCrops.writeInt(0);

        DecodedImage decoded = serializer(StreamTypes.DECODED_IMAGE)
                .deserialize(new DataInputDeserializer(old.getCopyOfBuffer()));
        CropSet crops = serializer(StreamTypes.CROP_SET).deserialize(new DataInputDeserializer(oldCrops.getCopyOfBuffer()));

        assertEquals(new DecodedImage("\u00e9vent-\u0000-17", new SourcePosition("images", 3, 42),
                new RgbImage(2, 1, new byte[] {1, 2, 3, 4, 5, 6}), edge), decoded);
        assertEquals(edge, crops.sourceId());
    }

    @Test
    void shortStringsAreWrittenExactlyAsWriteUtfDid() throws IOException {
        DecodedImage decoded = new DecodedImage("event-17", null, image(1, 1, 0), "cat");
        DataOutputSerializer old = new DataOutputSerializer(64);
        old.writeUTF("event-17");
        old.writeBoolean(false);
        old.writeInt(1);
        old.writeInt(1);
        old.write(image(1, 1, 0).toBytes());
        old.writeUTF("cat");

        assertArrayEquals(old.getCopyOfBuffer(), bytesOf(serializer(StreamTypes.DECODED_IMAGE), decoded),
                "so a job before and after this format change exchange the same bytes for usual values");
    }

    // --- serializer identity, snapshots and type information --------------------------------

    @Test
    void snapshotRestoresAnEqualSerializer() {
        for (Sample<?> sample : samples()) {
            TypeSerializer<?> serializer = serializer(sample.type());

            assertEquals(serializer, serializer.snapshotConfiguration().restoreSerializer(), sample.type().toString());
        }
    }

    @Test
    void snapshotWrittenToACheckpointRestoresACompatibleSerializer() throws IOException {
        for (Sample<?> sample : samples()) {
            assertSnapshotSurvivesACheckpoint(sample.type());
        }
    }

    private static <T> void assertSnapshotSurvivesACheckpoint(TypeInformation<T> type) throws IOException {
        TypeSerializer<T> serializer = serializer(type);
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, serializer.snapshotConfiguration());

        TypeSerializerSnapshot<T> restored = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), StreamTypesTest.class.getClassLoader());

        assertEquals(serializer, restored.restoreSerializer(), type.toString());
        assertTrue(serializer.snapshotConfiguration().resolveSchemaCompatibility(restored).isCompatibleAsIs(),
                type.toString());
    }

    @Test
    void typeInformationCreatesTheTypesOwnSerializer() {
        SerializerConfigImpl config = new SerializerConfigImpl();

        assertEquals(StreamTypes.RawRecordSerializer.class, StreamTypes.RAW_RECORD.createSerializer(config).getClass());
        assertEquals(StreamTypes.DecodedImageSerializer.class,
                StreamTypes.DECODED_IMAGE.createSerializer(config).getClass());
        assertEquals(StreamTypes.CropSetSerializer.class, StreamTypes.CROP_SET.createSerializer(config).getClass());
        assertEquals(StreamTypes.TrainingReportSerializer.class,
                StreamTypes.TRAINING_REPORT.createSerializer(config).getClass());
        assertEquals(StreamTypes.ModelSnapshotSerializer.class,
                StreamTypes.MODEL_SNAPSHOT.createSerializer(config).getClass());
        assertEquals(StreamTypes.DeadLetterSerializer.class,
                StreamTypes.DEAD_LETTER.createSerializer(config).getClass());
    }

    @Test
    void typeInformationNamesTheValueClass() {
        assertEquals(RawRecord.class, StreamTypes.RAW_RECORD.getTypeClass());
        assertEquals(DecodedImage.class, StreamTypes.DECODED_IMAGE.getTypeClass());
        assertEquals(CropSet.class, StreamTypes.CROP_SET.getTypeClass());
        assertEquals(TrainingReport.class, StreamTypes.TRAINING_REPORT.getTypeClass());
        assertEquals(ModelSnapshot.class, StreamTypes.MODEL_SNAPSHOT.getTypeClass());
        assertEquals(DeadLetter.class, StreamTypes.DEAD_LETTER.getTypeClass());
    }

    @Test
    void typeInformationAndSerializersSurviveJavaSerialization() throws Exception {
        ClassLoader loader = StreamTypesTest.class.getClassLoader();
        for (Sample<?> sample : samples()) {
            TypeInformation<?> type = sample.type();
            TypeInformation<?> shipped = InstantiationUtil.deserializeObject(
                    InstantiationUtil.serializeObject(type), loader);
            TypeSerializer<?> serializer = serializer(type);
            TypeSerializer<?> shippedSerializer = InstantiationUtil.deserializeObject(
                    InstantiationUtil.serializeObject(serializer), loader);

            assertEquals(type, shipped);
            assertEquals(serializer, serializer(shipped));
            assertEquals(serializer, shippedSerializer);
        }
    }

    // --- size on the wire ---------------------------------------------------------------------

    @Test
    void cropSetTravelsAsEightBitPixels() throws IOException {
        CropSet crops = cropSet(POSITION); // 2 global views of 32 px, 4 local views of 16 px
        int pixelBytes = 3 * 32 * 32 * 2 + 3 * 16 * 16 * 4;

        int size = bytesOf(serializer(StreamTypes.CROP_SET), crops).length;

        assertTrue(size < pixelBytes + 200, size + " bytes for " + pixelBytes + " bytes of pixels");
    }
}
