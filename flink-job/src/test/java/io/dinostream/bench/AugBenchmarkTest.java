package io.dinostream.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dinostream.ingest.ImageEncoding;
import io.dinostream.types.RgbImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AugBenchmarkTest {

    @Test
    void eachPhotoGivesNineCropsAtCornersEdgeMiddlesAndCentre(@TempDir Path folder) throws Exception {
        byte[] px = new byte[300 * 280 * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + i / 900);
        }
        RgbImage photo = new RgbImage(300, 280, px);
        Files.write(folder.resolve("chelsea.png"), ImageEncoding.png(photo));

        List<RgbImage> crops = AugBenchmark.photoCrops(folder, 256);

        assertEquals(9, crops.size());
        // Crop 0 is the top-left corner, crop 8 the bottom-right one, crop 4 the centre.
        assertPixel(photo, 0, 0, crops.get(0), 0, 0);
        assertPixel(photo, 300 - 256, 280 - 256, crops.get(8), 0, 0);
        assertPixel(photo, 22 + 255, 12 + 255, crops.get(4), 255, 255);
    }

    @Test
    void aFolderWithoutThePhotosIsRefusedWithWhatToInstall(@TempDir Path folder) {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> AugBenchmark.photoCrops(folder, 256));
        assertEquals(true, e.getMessage().contains("python3-skimage"), e.getMessage());
    }

    private static void assertPixel(RgbImage photo, int x, int y, RgbImage crop, int cx, int cy) {
        for (int c = 0; c < 3; c++) {
            assertEquals(photo.get(x, y, c), crop.get(cx, cy, c), "channel " + c);
        }
    }
}
