package io.dinostream.local;

import io.dinostream.publish.S3Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.filesystem.reference.FilesystemConstants;
import org.jclouds.logging.slf4j.config.SLF4JLoggingModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An S3-compatible server in this process (S3Proxy over the jclouds "filesystem" provider) on
 * 127.0.0.1, so the demo and the tests publish checkpoints through the real S3 protocol without
 * any outside service. Objects are stored as plain files under {@code <workDir>/s3/<bucket>/<key>}
 * so a user can look at them. It uses fixed demo credentials and V2/V4 request signing.
 */
public final class EmbeddedS3 implements AutoCloseable {

    /** The demo access key every client must use. */
    public static final String ACCESS_KEY = "dinostream";

    /** The demo secret key every client must use. */
    public static final String SECRET_KEY = "dinostream-secret";

    /** The region clients should sign for. */
    public static final String REGION = S3Settings.DEFAULT_REGION;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedS3.class);
    private static final long START_TIMEOUT_MS = 30_000;

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final Path root;
    private final String endpoint;
    private boolean closed;

    private EmbeddedS3(S3Proxy proxy, BlobStoreContext context, Path root) {
        this.proxy = proxy;
        this.context = context;
        this.root = root;
        this.endpoint = "http://127.0.0.1:" + proxy.getPort();
    }

    /** Starts a server on a free port, storing under {@code workDir/s3}. */
    public static EmbeddedS3 start(Path workDir) throws IOException {
        return start(workDir, 0);
    }

    /**
     * Starts a server on the given port (0 picks a free one), storing under {@code workDir/s3}.
     *
     * @throws IOException if the folder cannot be created or the server does not come up (e.g. the
     *     port is taken)
     */
    public static EmbeddedS3 start(Path workDir, int port) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("S3 port must be 0 (any free) or 1-65535, got " + port);
        }
        Path root = workDir.resolve("s3").toAbsolutePath().normalize();
        Files.createDirectories(root);
        long started = System.nanoTime();
        Properties overrides = new Properties();
        overrides.setProperty(FilesystemConstants.PROPERTY_BASEDIR, root.toString());
        BlobStoreContext context =
                ContextBuilder.newBuilder("filesystem")
                        .overrides(overrides)
                        .modules(List.of(new SLF4JLoggingModule()))
                        .buildView(BlobStoreContext.class);
        S3Proxy proxy =
                S3Proxy.builder()
                        .blobStore(new FolderlessBlobStore(context.getBlobStore()))
                        .endpoint(URI.create("http://127.0.0.1:" + port))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                        // Current AWS SDKs (botocore 1.36+, SDK v2 2.30+) send x-amz-checksum-mode on
                        // GET and x-amz-checksum-crc32 etc. on PUT, which S3Proxy 2.6 answers with
                        // NotImplemented. They are signed, so they cannot be dropped before the
                        // signature check; S3Proxy instead skips headers it does not know. The
                        // signature and the payload's sha256 are still verified.
                        .ignoreUnknownHeaders(true)
                        .build();
        try {
            proxy.start();
            awaitStarted(proxy);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            stopQuietly(proxy, e);
            context.close();
            throw new IOException(
                    "embedded S3 server did not start on 127.0.0.1:"
                            + (port == 0 ? "<free port>" : port)
                            + " ("
                            + e
                            + "): is the port in use? pick another or use 0",
                    e);
        }
        EmbeddedS3 s3 = new EmbeddedS3(proxy, context, root);
        LOG.info(
                "Embedded S3 at {} storing objects under {} (started in {} ms)",
                s3.endpoint,
                root,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return s3;
    }

    /** The server's base URL, {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return endpoint;
    }

    /** The access key clients must use. */
    public String accessKey() {
        return ACCESS_KEY;
    }

    /** The secret key clients must use. */
    public String secretKey() {
        return SECRET_KEY;
    }

    /** Settings that reach this server (path-style, region us-east-1) for bucket and prefix. */
    public S3Settings settings(String bucket, String prefix) {
        return new S3Settings(endpoint, REGION, ACCESS_KEY, SECRET_KEY, bucket, prefix, true);
    }

    /** The folder holding one sub-folder per bucket, objects as files under it. */
    public Path root() {
        return root;
    }

    /** Stops the server and releases the store; the files stay on disk. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IOException("cannot stop the embedded S3 server at " + endpoint + " (" + e + ")", e);
        } finally {
            context.close();
        }
        LOG.info("Embedded S3 at {} stopped", endpoint);
    }

    private static void awaitStarted(S3Proxy proxy) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (!"STARTED".equals(proxy.getState())) {
            if ("FAILED".equals(proxy.getState()) || System.nanoTime() > deadline) {
                throw new IllegalStateException("S3Proxy is " + proxy.getState());
            }
            Thread.sleep(5);
        }
    }

    private static void stopQuietly(S3Proxy proxy, Exception cause) {
        try {
            proxy.stop();
        } catch (Exception e) {
            cause.addSuppressed(e);
        }
    }
}
