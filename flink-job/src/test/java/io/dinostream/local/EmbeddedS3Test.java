package io.dinostream.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dinostream.publish.S3ObjectStore;
import io.dinostream.publish.S3Settings;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded S3 server: addressing, settings, lifecycle, and what real S3 clients send and see. */
final class EmbeddedS3Test {

    @TempDir Path dir;

    @Test
    void servesOnAFixedPortWithDemoSettingsAndStopsCleanly() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = socket.getLocalPort();
        }
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir, port)) {
            assertEquals("http://127.0.0.1:" + port, s3.endpoint());
            assertEquals(dir.resolve("s3").toAbsolutePath(), s3.root());
            S3Settings settings = s3.settings("demo", "p");
            assertEquals("us-east-1", settings.region());
            assertEquals("dinostream", s3.accessKey());
            assertEquals("dinostream-secret", s3.secretKey());
            try (S3ObjectStore store = new S3ObjectStore(settings, Map.of())) {
                store.put("x", new byte[] {42}, null);
            }
            assertTrue(Files.isRegularFile(s3.root().resolve("demo/p/x")));
        }
        // Stopped: the port is free again, and a second server can take it.
        try (EmbeddedS3 again = EmbeddedS3.start(dir, port)) {
            try (S3ObjectStore store = new S3ObjectStore(again.settings("demo", "p"), Map.of())) {
                assertEquals(java.util.List.of("x"), store.list(""), "objects survive a restart");
            }
        }
    }

    @Test
    void aTakenPortFailsClearly() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            IOException e =
                    assertThrows(IOException.class, () -> EmbeddedS3.start(dir, taken.getLocalPort()));
            assertTrue(e.getMessage().contains("port"), e.getMessage());
        }
    }

    @Test
    void aPutWithTheChecksumHeadersCurrentAwsSdksSendIsStored() throws Exception {
        // botocore 1.36+ (aws-cli) and the AWS SDKs sign and send these on every PUT by default.
        byte[] data = "teacher".getBytes(StandardCharsets.UTF_8);
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            MinioClient client = client(s3);
            client.makeBucket(MakeBucketArgs.builder().bucket("sdk").build());
            client.putObject(PutObjectArgs.builder().bucket("sdk").object("step-1/teacher.safetensors")
                    .stream(new ByteArrayInputStream(data), data.length, -1)
                    .extraHeaders(Map.of("x-amz-sdk-checksum-algorithm", "CRC32", "x-amz-checksum-crc32", crc32(data)))
                    .build());
            assertArrayEquals(data, Files.readAllBytes(s3.root().resolve("sdk/step-1/teacher.safetensors")));
        }
    }

    @Test
    void aGetWithTheChecksumModeCurrentAwsSdksSendIsServed() throws Exception {
        // botocore 1.36+ asks for the object's checksum on every GET (response checksum validation).
        byte[] data = "manifest".getBytes(StandardCharsets.UTF_8);
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            MinioClient client = client(s3);
            client.makeBucket(MakeBucketArgs.builder().bucket("sdk").build());
            client.putObject(PutObjectArgs.builder().bucket("sdk").object("m.json")
                    .stream(new ByteArrayInputStream(data), data.length, -1).build());
            try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket("sdk").object("m.json")
                    .extraHeaders(Map.of("x-amz-checksum-mode", "ENABLED")).build())) {
                assertArrayEquals(data, in.readAllBytes());
            }
        }
    }

    @Test
    void aListingWithoutDelimiterShowsOnlyTheObjectsNotTheirFolders() throws Exception {
        try (EmbeddedS3 s3 = EmbeddedS3.start(dir)) {
            MinioClient client = client(s3);
            client.makeBucket(MakeBucketArgs.builder().bucket("listed").build());
            for (String key : List.of("ckpt/latest.json", "ckpt/step-1/manifest.json", "ckpt/step-1/teacher.safetensors")) {
                client.putObject(PutObjectArgs.builder().bucket("listed").object(key)
                        .stream(new ByteArrayInputStream(new byte[] {1}), 1, -1).build());
            }
            assertEquals(List.of("ckpt/latest.json", "ckpt/step-1/manifest.json", "ckpt/step-1/teacher.safetensors"),
                    keys(client.listObjects(ListObjectsArgs.builder().bucket("listed").prefix("ckpt/")
                            .recursive(true).build())),
                    "ListObjectsV2 of a prefix, no delimiter");
            assertEquals(List.of("ckpt/latest.json", "ckpt/step-1/manifest.json", "ckpt/step-1/teacher.safetensors"),
                    keys(client.listObjects(ListObjectsArgs.builder().bucket("listed").recursive(true).build())),
                    "ListObjectsV2 of the whole bucket");
            assertEquals(List.of("ckpt/latest.json", "ckpt/step-1/"),
                    keys(client.listObjects(ListObjectsArgs.builder().bucket("listed").prefix("ckpt/").build())),
                    "with delimiter '/', a folder is a common prefix");
        }
    }

    private static MinioClient client(EmbeddedS3 s3) {
        return MinioClient.builder().endpoint(s3.endpoint()).region(EmbeddedS3.REGION)
                .credentials(s3.accessKey(), s3.secretKey()).build();
    }

    /** Every name a listing returns, objects and common prefixes, as the client reads them. */
    private static List<String> keys(Iterable<Result<Item>> listing) throws Exception {
        List<String> names = new ArrayList<>();
        for (Result<Item> result : listing) {
            names.add(result.get().objectName());
        }
        return names;
    }

    /** The base64 big-endian CRC32 that x-amz-checksum-crc32 carries. */
    private static String crc32(byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(data);
        return Base64.getEncoder().encodeToString(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
