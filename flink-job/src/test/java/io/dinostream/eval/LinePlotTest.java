package io.dinostream.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What LinePlot draws, read back from the PNG: its plot area is x 80..660 and y 50..490 of a
 * 900 × 560 image, the y range is padded by 8 % each side, series take the palette in order
 * (blue 1f77b4, then red d62728), and references take the colours after the series'.
 */
class LinePlotTest {

    private static final int LEFT = 80;
    private static final int RIGHT = 660;
    private static final int TOP = 50;
    private static final int BOTTOM = 490;
    private static final Color BLUE = new Color(0x1f77b4);
    private static final Color RED = new Color(0xd62728);

    @TempDir
    Path dir;

    private BufferedImage draw(LinePlot plot) throws Exception {
        Path png = dir.resolve("plot.png");
        plot.write(png);
        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(560, image.getHeight());
        assertTrue(near(image, LEFT, TOP, Color.BLACK, 0, 0) && near(image, RIGHT, BOTTOM, Color.BLACK, 0, 0),
                "the plot area's frame is where these tests expect it");
        return image;
    }

    /** Whether a pixel within radius of (x, y) is the colour, give or take tolerance per channel. */
    private static boolean near(BufferedImage image, int x, int y, Color colour, int radius, int tolerance) {
        for (int yy = y - radius; yy <= y + radius; yy++) {
            for (int xx = x - radius; xx <= x + radius; xx++) {
                Color c = new Color(image.getRGB(xx, yy));
                if (Math.abs(c.getRed() - colour.getRed()) <= tolerance
                        && Math.abs(c.getGreen() - colour.getGreen()) <= tolerance
                        && Math.abs(c.getBlue() - colour.getBlue()) <= tolerance) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void eachPointOfASeriesIsDrawnWhereItsValuesFallAndJoinedToTheNextInTheFirstColour() throws Exception {
        // x 1..3 spans the width; y 70..85 padded by 1.2 each side spans the height.
        BufferedImage image = draw(new LinePlot("top-1", "minutes", "%")
                .series("teacher", new double[] {1, 2, 3}, new double[] {70, 80, 85}));

        assertTrue(near(image, LEFT, 460, BLUE, 0, 0), "(1, 70) at the left, 1.2 / 17.4 of the height up");
        assertTrue(near(image, 370, 207, BLUE, 0, 0), "(2, 80) in the middle, 11.2 / 17.4 up");
        assertTrue(near(image, RIGHT, 80, BLUE, 0, 0), "(3, 85) at the right, 16.2 / 17.4 up");
        assertTrue(near(image, 225, 334, BLUE, 1, 40), "the line from the first point to the second");
        assertTrue(near(image, 515, 144, BLUE, 1, 40), "the line from the second point to the third");
        assertTrue(!near(image, 225, 207, BLUE, 3, 40), "nothing blue where no line runs");
    }

    @Test
    void aReferenceIsADashedLineAcrossThePlotAtItsValueInTheNextColour() throws Exception {
        // y 70..85 and the reference at 80.5, padded to 68.8..86.2: 11.7 / 17.4 of the height up.
        BufferedImage image = draw(new LinePlot("top-1", "minutes", "%")
                .series("teacher", new double[] {1, 2, 3}, new double[] {70, 75, 85})
                .reference("pixels", 80.5));

        int red = 0;
        for (int x = LEFT + 1; x < RIGHT; x++) {
            if (near(image, x, 194, RED, 1, 40)) {
                red++;
            }
        }
        int width = RIGHT - LEFT - 1;
        assertTrue(red > width / 2 && red < width * 9 / 10, "6 px dashes, 4 px gaps: " + red + " of " + width);
        assertTrue(!near(image, 370, 150, RED, 5, 40) && !near(image, 370, 240, RED, 5, 40),
                "nothing red above or below the reference");
    }

    @Test
    void aSinglePointIsDrawnInTheMiddleOfThePlot() throws Exception {
        BufferedImage image = draw(new LinePlot("t", "x", "y").series("s", new double[] {5}, new double[] {5}));

        assertTrue(near(image, 370, 270, BLUE, 0, 0));
    }

    @Test
    void aFlatSeriesIsAHorizontalLineAcrossTheMiddleOfThePlot() throws Exception {
        BufferedImage image = draw(new LinePlot("t", "x", "y")
                .series("s", new double[] {1, 2, 3, 4}, new double[] {7, 7, 7, 7}));

        for (int x = LEFT; x <= RIGHT; x += 20) {
            assertTrue(near(image, x, 270, BLUE, 1, 40), "at x " + x);
        }
        assertTrue(!near(image, 370, 250, BLUE, 5, 40), "and nowhere above it");
    }

    @Test
    void refusesASeriesWhoseAxesDifferInLength() {
        assertThrows(IllegalArgumentException.class,
                () -> new LinePlot("t", "x", "y").series("s", new double[] {1, 2}, new double[] {1}));
    }
}
