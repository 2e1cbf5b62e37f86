package io.dinostream.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** latest.json: the keys users' scripts read, every pointer published so far still read, and what is refused. */
final class LatestTest {

    private static final Instant PUBLISHED_AT = Instant.parse("2024-05-01T12:00:03.123456789Z");

    /** Byte for byte what the publisher wrote before Latest existed (Gson, pretty-printed). */
    private static final String WRITTEN_BEFORE = """
            {
              "step": 12,
              "folder": "step-000000000012/",
              "manifest": "step-000000000012/manifest.json",
              "published_at": "2024-05-01T12:00:03.123456789Z"
            }""";

    @TempDir Path dir;

    private static JsonObject json(Latest latest) {
        return JsonParser.parseString(new String(latest.toJson(), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String refusal(String latestJson) {
        return assertThrows(CorruptCheckpointException.class,
                () -> Latest.parse(utf8(latestJson), "s3://b/ckpt/latest.json")).getMessage();
    }

    // --- what is written --------------------------------------------------------------------

    @Test
    void theKeysAreTheOnesPublishedSinceTheFirstRelease() {
        assertEquals(List.of("step", "folder", "manifest", "published_at"),
                List.copyOf(json(Latest.of(12, PUBLISHED_AT)).keySet()));
    }

    @Test
    void theFolderAndManifestFollowFromTheStep() {
        Latest latest = Latest.of(12, PUBLISHED_AT);

        assertEquals("step-000000000012/", latest.folder());
        assertEquals("step-000000000012/manifest.json", latest.manifest());
    }

    @Test
    void theBytesAreThoseThePublisherWroteBefore() {
        assertEquals(WRITTEN_BEFORE, new String(Latest.of(12, PUBLISHED_AT).toJson(), StandardCharsets.UTF_8));
    }

    @Test
    void whatIsWrittenParsesBackEqual() throws Exception {
        Latest latest = Latest.of(123_456_789_012L, PUBLISHED_AT);

        assertEquals(latest, Latest.parse(latest.toJson(), "latest.json"));
    }

    // --- what is read -----------------------------------------------------------------------

    @Test
    void aLatestWrittenByThePublisherBeforeStillParses() throws Exception {
        assertEquals(Latest.of(12, PUBLISHED_AT), Latest.parse(utf8(WRITTEN_BEFORE), "latest.json"));
    }

    @Test
    void aLatestWithOnlyAStepIsFollowedToThatStepsFolder() throws Exception {
        Latest latest = Latest.parse(utf8("{\"step\": 4}"), "latest.json");

        assertEquals(4, latest.step());
        assertEquals("step-000000000004/manifest.json", latest.manifest());
        assertEquals(Optional.empty(), latest.publishedAt());
    }

    @Test
    void aStoreWithNothingPublishedHasNoLatest() throws Exception {
        assertEquals(Optional.empty(), Latest.read(new FileObjectStore(dir)));
    }

    @Test
    void readReturnsWhatThePublisherWrote() throws Exception {
        FileObjectStore store = new FileObjectStore(dir);
        store.put(Latest.FILE, Latest.of(7, PUBLISHED_AT).toJson(), "application/json");

        assertEquals(Optional.of(Latest.of(7, PUBLISHED_AT)), Latest.read(store));
    }

    @Test
    void readNamesTheStoresLatestInARefusal() throws IOException {
        FileObjectStore store = new FileObjectStore(dir);
        store.put(Latest.FILE, utf8("{\"folder\": \"step-000000000007/\"}"), "application/json");

        CorruptCheckpointException e = assertThrows(CorruptCheckpointException.class, () -> Latest.read(store));
        assertTrue(e.getMessage().startsWith(store.location() + "/latest.json has no step"), e.getMessage());
    }

    // --- what is refused --------------------------------------------------------------------

    @Test
    void textThatIsNotJsonIsRefusedNamingTheFile() {
        String message = refusal("{\"step\": 4,");

        assertTrue(message.startsWith("s3://b/ckpt/latest.json is not valid JSON"), message);
    }

    @Test
    void jsonThatIsNotAnObjectIsRefused() {
        String message = refusal("[4]");

        assertTrue(message.contains("is not valid JSON: not a JSON object"), message);
    }

    @Test
    void aLatestWithoutAStepIsRefused() {
        String message = refusal("{\"folder\": \"step-000000000004/\", \"step\": null}");

        assertEquals("s3://b/ckpt/latest.json has no step: it does not name a checkpoint", message);
    }

    @Test
    void aNegativeStepIsRefused() {
        assertEquals("s3://b/ckpt/latest.json has step -1, not a whole number of 0 or more", refusal("{\"step\": -1}"));
    }

    @Test
    void aFractionalStepIsRefused() {
        assertEquals("s3://b/ckpt/latest.json has step 2.5, not a whole number of 0 or more", refusal("{\"step\": 2.5}"));
    }

    @Test
    void aStepWrittenAsTextIsRefused() {
        assertEquals("s3://b/ckpt/latest.json has step \"2\", not a whole number of 0 or more",
                refusal("{\"step\": \"2\"}"));
    }

    @Test
    void aStepTooLargeForALongIsRefused() {
        String message = refusal("{\"step\": 9223372036854775808}");

        assertTrue(message.contains("has step 9223372036854775808, not a whole number"), message);
    }

    @Test
    void aFolderOtherThanTheStepsIsRefused() {
        String message = refusal("{\"step\": 2, \"folder\": \"../elsewhere/\"}");

        assertEquals("s3://b/ckpt/latest.json names step 2 but folder '../elsewhere/' (expected"
                + " 'step-000000000002/'): it was not written by the publisher, refusing to follow it", message);
    }

    @Test
    void aManifestOtherThanTheStepsIsRefused() {
        String message = refusal("{\"step\": 2, \"folder\": \"step-000000000002/\","
                + " \"manifest\": \"step-000000000003/manifest.json\"}");

        assertEquals("s3://b/ckpt/latest.json names step 2 but manifest 'step-000000000003/manifest.json' (expected"
                + " 'step-000000000002/manifest.json'): it was not written by the publisher, refusing to follow it",
                message);
    }

    @Test
    void aPublishedAtThatIsNotAnInstantIsRefused() {
        String message = refusal("{\"step\": 2, \"published_at\": \"yesterday\"}");

        assertTrue(message.startsWith("s3://b/ckpt/latest.json has published_at \"yesterday\", not an ISO-8601"
                + " instant"), message);
    }

    @Test
    void aNegativeStepCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> Latest.of(-1, PUBLISHED_AT));
    }
}
