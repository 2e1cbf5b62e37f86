# Generates flink-job/src/test/resources/oracle/vit_small_patch16_224_state_dict.txt: name and shape of
# every tensor of timm.create_model("vit_small_patch16_224", num_classes=0), after checking that the
# official DINO vits.vit_small(patch_size=16) has the same names, shapes and order.
# Run with facebookresearch/dino's vision_transformer.py and timm on PYTHONPATH.
import timm, vision_transformer as vits
t = timm.create_model("vit_small_patch16_224", num_classes=0, pretrained=False).state_dict()
o = vits.vit_small(patch_size=16).state_dict()
assert [(k, v.shape) for k, v in t.items()] == [(k, v.shape) for k, v in o.items()]
with open("vit_small_patch16_224_state_dict.txt", "w") as f:
    f.write("# timm " + timm.__version__ + " vit_small_patch16_224(num_classes=0) == official vit_small(patch_size=16)\n")
    for k, v in t.items():
        f.write(k + " " + ",".join(str(d) for d in v.shape) + "\n")
