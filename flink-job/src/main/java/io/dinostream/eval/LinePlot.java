package io.dinostream.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A minimal line chart written as PNG with Java2D (headless): one or more series of (x, y) points
 * and horizontal reference lines, axes with ticks, a title and a legend. Enough for benchmark
 * reports without a plotting dependency.
 */
public final class LinePlot {

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd), new Color(0xff7f0e)
    };

    private record Series(String name, double[] x, double[] y) {}

    private record Reference(String name, double y) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LinePlot series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series " + name + " has " + x.length + " x and " + y.length + " y values");
        }
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** A dashed horizontal line across the plot, e.g. a baseline. */
    public LinePlot reference(String name, double y) {
        references.add(new Reference(name, y));
        return this;
    }

    public void write(Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 560;
        int left = 80;
        int right = 240;
        int top = 50;
        int bottom = 70;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);

        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMin = Math.min(yMin, s.y()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        }
        for (Reference r : references) {
            yMin = Math.min(yMin, r.y());
            yMax = Math.max(yMax, r.y());
        }
        if (!(xMax > xMin)) {
            xMin = Double.isFinite(xMin) ? xMin - 1 : 0;
            xMax = xMin + 2;
        }
        if (!(yMax > yMin)) {
            yMin = Double.isFinite(yMin) ? yMin - 1 : 0;
            yMax = yMin + 2;
        }
        double pad = (yMax - yMin) * 0.08;
        yMin -= pad;
        yMax += pad;
        int plotW = w - left - right;
        int plotH = h - top - bottom;

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int t = 0; t <= 5; t++) {
            double xv = xMin + (xMax - xMin) * t / 5;
            int px = left + plotW * t / 5;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(px, top, px, top + plotH);
            g.setColor(Color.BLACK);
            g.drawString(format(xv), px - 15, top + plotH + 18);
            double yv = yMin + (yMax - yMin) * t / 5;
            int py = top + plotH - plotH * t / 5;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left, py, left + plotW, py);
            g.setColor(Color.BLACK);
            g.drawString(format(yv), left - 50, py + 4);
        }
        g.drawRect(left, top, plotW, plotH); // after the grid, whose outer lines fall on the frame
        g.drawString(xLabel, left + plotW / 2 - 40, h - 25);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + plotH / 2 + 40), 20);
        g.rotate(Math.PI / 2);

        int legendY = top + 10;
        int c = 0;
        for (Series s : series) {
            Color color = PALETTE[c++ % PALETTE.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < s.x().length; i++) {
                int px = left + (int) Math.round((s.x()[i] - xMin) / (xMax - xMin) * plotW);
                int py = top + plotH - (int) Math.round((s.y()[i] - yMin) / (yMax - yMin) * plotH);
                g.fillOval(px - 3, py - 3, 6, 6);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            g.drawLine(left + plotW + 15, legendY, left + plotW + 40, legendY);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), left + plotW + 45, legendY + 4);
            legendY += 20;
        }
        for (Reference r : references) {
            Color color = PALETTE[c++ % PALETTE.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            int py = top + plotH - (int) Math.round((r.y() - yMin) / (yMax - yMin) * plotH);
            g.drawLine(left, py, left + plotW, py);
            g.drawLine(left + plotW + 15, legendY, left + plotW + 40, legendY);
            g.setColor(Color.BLACK);
            g.drawString(r.name() + " (" + format(r.y()) + ")", left + plotW + 45, legendY + 4);
            legendY += 20;
        }
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }

    private static String format(double v) {
        if (Math.abs(v) >= 1000) {
            return String.format("%.0f", v);
        }
        return Math.abs(v) >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
}
