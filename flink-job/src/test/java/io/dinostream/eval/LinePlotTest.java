package io.dinostream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePlotTest {

    @TempDir
    Path dir;

    @Test
    void writesAPngWithTheSeriesDrawnInItsColour() throws Exception {
        Path png = dir.resolve("plot.png");
        new LinePlot("top-1", "minutes", "%")
                .series("teacher", new double[] {1, 2, 3}, new double[] {70, 80, 85})
                .reference("pixels", 80.5)
                .write(png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
        int blue = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == 0x1f77b4) {
                    blue++;
                }
            }
        }
        assertNotEquals(0, blue, "the first series is drawn in the first palette colour");
    }

    @Test
    void refusesASeriesWhoseAxesDifferInLength() {
        assertThrows(IllegalArgumentException.class,
                () -> new LinePlot("t", "x", "y").series("s", new double[] {1, 2}, new double[] {1}));
    }

    @Test
    void drawsASinglePointAndAFlatSeries() throws Exception {
        Path png = dir.resolve("one.png");
        new LinePlot("t", "x", "y").series("s", new double[] {5}, new double[] {5}).write(png);
        assertEquals(900, ImageIO.read(png.toFile()).getWidth());
    }
}
