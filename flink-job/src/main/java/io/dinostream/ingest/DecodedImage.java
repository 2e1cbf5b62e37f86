package io.dinostream.ingest;

import io.dinostream.augment.RgbImage;

/** An event's image decoded to 8-bit RGB, with the event id and where it was read. */
public record DecodedImage(String id, SourcePosition position, RgbImage image) {}
