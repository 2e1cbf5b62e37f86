"""The official DINO augmentation (facebookresearch/dino main_dino.DataAugmentationDINO, with
utils.GaussianBlur and utils.Solarization) on torchvision and PIL, timed on one thread like
`./dinostream bench-aug`, over the JPEGs that bench-aug wrote (its --out folder: flat/ and photos/).

Measures, per set: decode (torchvision's ImageFolder loader: Image.open(f).convert("RGB")), crop
(DataAugmentationDINO on decoded images: 2 x 224 + N x 96, each view ending in ToTensor and
Normalize as in main_dino.py) and both. Untimed warm-up passes, then timed passes until --seconds
are up; prints the median pass's images/s by the wall clock and per second of the thread's CPU time.

Needs Debian's python3-torchvision (and python3-pil):
    python3 bench/official_aug.py --dir bench-aug-jpegs
"""
import argparse, glob, io, os, random, statistics, time, warnings
import torch
from PIL import Image, ImageFilter, ImageOps
from torchvision import transforms

p = argparse.ArgumentParser()
p.add_argument("--dir", default="bench-aug-jpegs", help="bench-aug's --out folder")
p.add_argument("--global-size", type=int, default=224); p.add_argument("--local-size", type=int, default=96)
p.add_argument("--local-views", type=int, default=6)
p.add_argument("--seconds", type=float, default=5); p.add_argument("--warmup", type=float, default=2)
p.add_argument("--measures", default="decode,crop,both")
a = p.parse_args()
warnings.filterwarnings("ignore", message="Argument .interpolation. of type int")  # main_dino.py passes Image.BICUBIC
torch.set_num_threads(1); torch.set_num_interop_threads(1)
random.seed(0); torch.manual_seed(0)


class GaussianBlur(object):  # dino utils.GaussianBlur
    def __init__(self, p=0.5, radius_min=0.1, radius_max=2.):
        self.prob = p; self.radius_min = radius_min; self.radius_max = radius_max

    def __call__(self, img):
        do_it = random.random() <= self.prob
        if not do_it:
            return img
        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(self.radius_min, self.radius_max)))


class Solarization(object):  # dino utils.Solarization
    def __init__(self, p):
        self.p = p

    def __call__(self, img):
        if random.random() < self.p:
            return ImageOps.solarize(img)
        return img


class DataAugmentationDINO(object):  # main_dino.DataAugmentationDINO, sizes as options
    def __init__(self, global_crops_scale, local_crops_scale, local_crops_number):
        flip_and_color_jitter = transforms.Compose([
            transforms.RandomHorizontalFlip(p=0.5),
            transforms.RandomApply(
                [transforms.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)], p=0.8),
            transforms.RandomGrayscale(p=0.2),
        ])
        normalize = transforms.Compose([
            transforms.ToTensor(),
            transforms.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
        ])
        self.global_transfo1 = transforms.Compose([
            transforms.RandomResizedCrop(a.global_size, scale=global_crops_scale, interpolation=Image.BICUBIC),
            flip_and_color_jitter, GaussianBlur(1.0), normalize])
        self.global_transfo2 = transforms.Compose([
            transforms.RandomResizedCrop(a.global_size, scale=global_crops_scale, interpolation=Image.BICUBIC),
            flip_and_color_jitter, GaussianBlur(0.1), Solarization(0.2), normalize])
        self.local_crops_number = local_crops_number
        self.local_transfo = transforms.Compose([
            transforms.RandomResizedCrop(a.local_size, scale=local_crops_scale, interpolation=Image.BICUBIC),
            flip_and_color_jitter, GaussianBlur(p=0.5), normalize])

    def __call__(self, image):
        crops = [self.global_transfo1(image), self.global_transfo2(image)]
        for _ in range(self.local_crops_number):
            crops.append(self.local_transfo(image))
        return crops


def pil_loader(data):  # torchvision.datasets.folder.pil_loader, from bytes in memory
    img = Image.open(io.BytesIO(data))
    return img.convert("RGB")


def timed(run, images):
    end = time.perf_counter() + a.warmup
    while True:
        run()
        if time.perf_counter() >= end:
            break
    rates, cpu_rates = [], []
    end = time.perf_counter() + a.seconds
    while time.perf_counter() < end or len(rates) < 3:
        c0, t0 = time.thread_time(), time.perf_counter()
        run()
        t1, c1 = time.perf_counter(), time.thread_time()
        rates.append(images / (t1 - t0)); cpu_rates.append(images / (c1 - c0))
    return rates, cpu_rates


aug = DataAugmentationDINO((0.4, 1.), (0.05, 0.4), a.local_views)
print(f"torch {torch.__version__}, torchvision {__import__('torchvision').__version__}, PIL {Image.__version__},"
      f" threads {torch.get_num_threads()}")
print(f"views 2 x {a.global_size} px + {a.local_views} x {a.local_size} px; JPEGs in {a.dir}")
for name in ("flat", "photos"):
    files = sorted(glob.glob(os.path.join(a.dir, name, "*.jpg")))
    if not files:
        raise SystemExit(f"no JPEGs in {os.path.join(a.dir, name)}: run ./dinostream bench-aug --out {a.dir} first")
    blobs = [open(f, "rb").read() for f in files]
    decoded = [pil_loader(b) for b in blobs]
    runs = {
        "decode": lambda: [pil_loader(b) for b in blobs],
        "crop": lambda: [aug(im) for im in decoded],
        "both": lambda: [aug(pil_loader(b)) for b in blobs],
    }
    for measure in a.measures.split(","):
        rates, cpu_rates = timed(runs[measure], len(blobs))
        print(f"{name:<6} {measure:<6} {statistics.median(rates):9.1f} img/s  (median of {len(rates)} passes,"
              f" min {min(rates):.1f}, max {max(rates):.1f}; per CPU second {statistics.median(cpu_rates):.1f})")
