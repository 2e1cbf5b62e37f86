package io.dinostream.augment;

import io.dinostream.types.CropSet;
import io.dinostream.types.DecodedImage;
import io.dinostream.util.SeededRandom;
import org.apache.flink.api.common.functions.MapFunction;

/**
 * The multi-crop operator: DINO's views of each decoded image. The random generator is seeded
 * from the job seed and the event's Kafka position (or id), so a replay after a restore produces
 * exactly the same views; an image the replay stage sends again adds its replay number to that key,
 * so each replay gets fresh views (and a restore reproduces them too).
 */
public final class MultiCrop implements MapFunction<DecodedImage, CropSet> {

    private static final long serialVersionUID = 1L;

    private final MultiCropPolicy policy;
    private final long seed;

    public MultiCrop(MultiCropPolicy policy, long seed) {
        this.policy = policy;
        this.seed = seed;
    }

    @Override
    public CropSet map(DecodedImage image) {
        String key = image.position() != null ? image.position().toString() : image.id();
        if (image.isReplay()) {
            key = key + "#replay-" + image.replay();
        }
        return policy.apply(image.id(), image.image(), SeededRandom.forKey(seed, key)).at(image.position())
                .asReplay(image.replay());
    }
}
