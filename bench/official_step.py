"""The official DINO training step (facebookresearch/dino main_dino.train_one_epoch body, with its
DINOLoss, DINOHead, MultiCropWrapper, utils.clip_gradients and cancel_gradients_last_layer) on
torchvision's ResNet-18 with the small-image stem, or on the official ViT (--arch vit_small, ...:
vision_transformer.py of facebookresearch/dino on PYTHONPATH; the student with drop path, the teacher
without, both built for the global crop size), timed like `./dinostream bench-step`: batches are made
before the clock starts, median of the timed steps.

Needs Debian's python3-torch, python3-torchvision and libopenblas0-pthread (without OpenBLAS, Debian's torch runs
its matrix products on the reference BLAS, one thread):  python3 bench/official_step.py --threads 2
The job's CPU default (ResNet-10 width 16, head 512/128 with BatchNorm, K 4096, batch 32):  python3
    bench/official_step.py --arch resnet10 --width 16 --hidden-dim 512 --bottleneck-dim 128 --head-bn true --batch 32
ViT-S/16 at 2 x 224 + 8 x 96:  PYTHONPATH=path/to/dino python3 bench/official_step.py --arch vit_small \
    --patch-size 16 --global-size 224 --local-size 96 --local-views 8 --out-dim 65536 --batch 64
On a GPU (bench/gpu-check.sh):  --device cuda --arch resnet50 --global-size 224 --local-size 96
--local-views 8 --out-dim 65536 [--precision bf16]; bf16 is torch.autocast(bfloat16) around the forward
passes and the loss, fp32 parameters and optimiser, as main_dino.py's fp16 path with bfloat16 (no scaler).
"""
import argparse, os, resource, statistics, time
import torch, torch.nn as nn, torch.nn.functional as F, torchvision

def blas_libraries():
    """The BLAS libraries this process mapped. Debian's torch runs its matrix products (Linear, attention) on
    whichever libblas.so.3 alternative is set: the reference BLAS, unoptimised and single-threaded, unless
    OpenBLAS is installed (apt install libopenblas0-pthread)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {f[5] for f in (line.split() for line in maps) if len(f) >= 6 and "blas" in f[5].lower()}
    except OSError:
        return []
    return sorted({os.path.realpath(p) for p in paths})

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=64); p.add_argument("--global-size", type=int, default=32)
p.add_argument("--local-size", type=int, default=16); p.add_argument("--local-views", type=int, default=4)
p.add_argument("--out-dim", type=int, default=4096); p.add_argument("--threads", type=int, default=2)
p.add_argument("--warmup", type=int, default=3); p.add_argument("--steps", type=int, default=20)
p.add_argument("--device", default="cpu"); p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
p.add_argument("--arch", default="resnet18",
               help="resnet10, resnet18, resnet34 (basic blocks), resnet50, or vit_tiny, vit_small, vit_base")
p.add_argument("--width", type=int, default=64, help="channels of a basic-block ResNet's first stage")
p.add_argument("--small-stem", default="true", choices=["true", "false"], help="3x3 stride-1 stem, no max-pool")
p.add_argument("--hidden-dim", type=int, default=2048); p.add_argument("--bottleneck-dim", type=int, default=256)
p.add_argument("--head-bn", default="false", choices=["true", "false"], help="BatchNorm in the head (use_bn)")
p.add_argument("--patch-size", type=int, default=16); p.add_argument("--drop-path", type=float, default=0.1)
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
torch.ones(2, 2) @ torch.ones(2, 2)  # maps the BLAS library
blas = blas_libraries()
print(f"torch {torch.__version__}, BLAS {', '.join(blas) or 'none mapped'}", flush=True)
if any("/blas/libblas" in b for b in blas):
    print("WARNING: torch runs on the reference BLAS (unoptimised, one thread), not a fair peer: "
          "apt install libopenblas0-pthread", flush=True)
dev = torch.device(a.device)

class DINOHead(nn.Module):  # vision_transformer.DINOHead, nlayers=3, norm_last_layer=True
    def __init__(self, in_dim, out_dim, hidden_dim=2048, bottleneck_dim=256, use_bn=False):
        super().__init__()
        bn = (lambda: [nn.BatchNorm1d(hidden_dim)]) if use_bn else (lambda: [])
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), *bn(), nn.GELU(), nn.Linear(hidden_dim, hidden_dim),
                                 *bn(), nn.GELU(), nn.Linear(hidden_dim, bottleneck_dim))
        self.apply(self._init_weights)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1); self.last_layer.weight_g.requires_grad = False
    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02); nn.init.constant_(m.bias, 0)
    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))

class MultiCropWrapper(nn.Module):
    def __init__(self, backbone, head):
        super().__init__(); backbone.fc = nn.Identity(); self.backbone, self.head = backbone, head
    def forward(self, x):
        idx = torch.cumsum(torch.unique_consecutive(torch.tensor([i.shape[-1] for i in x]), return_counts=True)[1], 0)
        start, out = 0, torch.empty(0, device=x[0].device)
        for end in idx:
            out = torch.cat((out, self.backbone(torch.cat(x[start:end])))); start = end
        return self.head(out)

class DINOLoss(nn.Module):
    def __init__(self, out_dim, ncrops, teacher_temp=0.04, student_temp=0.1, center_momentum=0.9):
        super().__init__(); self.student_temp, self.center_momentum, self.ncrops = student_temp, center_momentum, ncrops
        self.teacher_temp = teacher_temp; self.register_buffer("center", torch.zeros(1, out_dim))
    def forward(self, student_output, teacher_output):
        student_out = (student_output / self.student_temp).chunk(self.ncrops)
        teacher_out = F.softmax((teacher_output - self.center) / self.teacher_temp, dim=-1).detach().chunk(2)
        total, n = 0, 0
        for iq, q in enumerate(teacher_out):
            for v in range(len(student_out)):
                if v == iq: continue
                total += torch.sum(-q * F.log_softmax(student_out[v], dim=-1), dim=-1).mean(); n += 1
        total /= n; self.update_center(teacher_output); return total
    @torch.no_grad()
    def update_center(self, t):
        self.center = self.center * self.center_momentum + t.sum(0, keepdim=True) / len(t) * (1 - self.center_momentum)

class BasicBlockResNet(torchvision.models.resnet.ResNet):
    """torchvision's ResNet of basic blocks with stage widths w, 2w, 4w, 8w (torchvision fixes w = 64)."""
    def __init__(self, blocks, width, small_stem):
        nn.Module.__init__(self)
        self._norm_layer, self.dilation, self.groups, self.base_width, self.inplanes = nn.BatchNorm2d, 1, 1, 64, width
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False) if small_stem else nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1, self.relu = nn.BatchNorm2d(width), nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small_stem else nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        block = torchvision.models.resnet.BasicBlock
        self.layer1 = self._make_layer(block, width, blocks[0])
        self.layer2 = self._make_layer(block, 2 * width, blocks[1], stride=2)
        self.layer3 = self._make_layer(block, 4 * width, blocks[2], stride=2)
        self.layer4 = self._make_layer(block, 8 * width, blocks[3], stride=2)
        self.avgpool, self.fc = nn.AdaptiveAvgPool2d((1, 1)), nn.Identity()

BASIC_BLOCKS = {"resnet10": [1, 1, 1, 1], "resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}
head = lambda dim: DINOHead(dim, a.out_dim, a.hidden_dim, a.bottleneck_dim, a.head_bn == "true")
if a.arch in BASIC_BLOCKS or a.arch == "resnet50":
    if a.arch == "resnet50":
        make, dim = torchvision.models.resnet50, 2048
    else:
        make, dim = lambda: BasicBlockResNet(BASIC_BLOCKS[a.arch], a.width, a.small_stem == "true"), 8 * a.width
    student = MultiCropWrapper(make(), head(dim))
    teacher = MultiCropWrapper(make(), head(dim))
else:  # main_dino.py: the student with drop_path_rate, the teacher without
    import vision_transformer as vits
    s_vit = vits.__dict__[a.arch](patch_size=a.patch_size, drop_path_rate=a.drop_path, img_size=[a.global_size])
    t_vit = vits.__dict__[a.arch](patch_size=a.patch_size, img_size=[a.global_size])
    student = MultiCropWrapper(s_vit, head(s_vit.embed_dim))
    teacher = MultiCropWrapper(t_vit, head(t_vit.embed_dim))
student, teacher = student.to(dev), teacher.to(dev)
teacher.load_state_dict(student.state_dict())
for q in teacher.parameters(): q.requires_grad = False
reg = [q for n, q in student.named_parameters() if q.requires_grad and not (n.endswith(".bias") or q.ndim == 1)]
noreg = [q for n, q in student.named_parameters() if q.requires_grad and (n.endswith(".bias") or q.ndim == 1)]
opt = torch.optim.AdamW([{"params": reg}, {"params": noreg, "weight_decay": 0.}])
loss_fn = DINOLoss(a.out_dim, 2 + a.local_views).to(dev)
crops = [torch.randn(a.batch, 3, a.global_size, a.global_size, device=dev) for _ in range(2)] + \
        [torch.randn(a.batch, 3, a.local_size, a.local_size, device=dev) for _ in range(a.local_views)]
autocast = lambda: torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.precision == "bf16")
sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
times = []
for it in range(a.warmup + a.steps):
    t0 = time.perf_counter()
    for i, g in enumerate(opt.param_groups):
        g["lr"] = 5e-4 * a.batch / 256
        if i == 0: g["weight_decay"] = 0.04
    with autocast():
        teacher_output = teacher(crops[:2]); student_output = student(crops)
        loss = loss_fn(student_output, teacher_output)
    opt.zero_grad(); loss.backward()
    for n, q in student.named_parameters():  # utils.clip_gradients(student, 3.0)
        if q.grad is not None:
            c = 3.0 / (q.grad.data.norm(2) + 1e-6)
            if c < 1: q.grad.data.mul_(c)
    for n, q in student.named_parameters():  # cancel_gradients_last_layer in epoch 0
        if "last_layer" in n: q.grad = None
    opt.step()
    with torch.no_grad():
        for qs, qt in zip(student.parameters(), teacher.parameters()):
            qt.data.mul_(0.996).add_((1 - 0.996) * qs.detach().data)
    sync(); dt = time.perf_counter() - t0
    if it >= a.warmup: times.append(dt)
    print(f"step {it:3d} {'timed ' if it >= a.warmup else 'warmup'} {dt:.3f} s  loss {loss.item():.4f}", flush=True)
med = statistics.median(times)
print(f"torch {torch.__version__}, threads {torch.get_num_threads()}: median step {med:.3f} s over {len(times)} steps "
      f"(min {min(times):.3f}, max {max(times):.3f}): {a.batch / med:.1f} source images/s")
# as bench-step prints it: the process's peak resident memory (ru_maxrss is in KiB on Linux)
print(f"peak resident memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")
if dev.type == "cuda":
    print(f"peak GPU memory reserved {torch.cuda.max_memory_reserved(dev) / 2**30:.2f} GiB, allocated "
          f"{torch.cuda.max_memory_allocated(dev) / 2**30:.2f} GiB ({a.arch}, {a.precision})")
