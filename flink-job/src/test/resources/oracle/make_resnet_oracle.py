# Generates flink-job/src/test/resources/oracle/resnet_small_stem.json with torchvision's BasicBlock ResNet-18.
import json, torch, torch.nn as nn, torchvision
from torchvision.models.resnet import ResNet, BasicBlock
torch.manual_seed(20240601)
class SmallStemResNet18(ResNet):
    def __init__(self, width):
        super().__init__(BasicBlock, [2, 2, 2, 2])
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.Identity()
        self.layer1 = self._make_layer(BasicBlock, width, 2)
        self.layer2 = self._make_layer(BasicBlock, 2 * width, 2, stride=2)
        self.layer3 = self._make_layer(BasicBlock, 4 * width, 2, stride=2)
        self.layer4 = self._make_layer(BasicBlock, 8 * width, 2, stride=2)
        self.fc = nn.Identity()
m = SmallStemResNet18(2).double()
for mod in m.modules():   # non-trivial BN affine parameters and statistics
    if isinstance(mod, nn.BatchNorm2d):
        nn.init.uniform_(mod.weight, 0.5, 1.5); nn.init.uniform_(mod.bias, -0.2, 0.2)
        mod.running_mean.uniform_(-0.1, 0.1); mod.running_var.uniform_(0.9, 1.1)
m.train()
sd_before = {k: v.tolist() for k, v in m.state_dict().items()}
x = torch.randn(4, 3, 8, 8, dtype=torch.float64)
out = m(x)
R = torch.randn_like(out)
(out * R).sum().backward()
res = {
  "generator": "torchvision %s, torch %s: ResNet(BasicBlock, [2,2,2,2]) with width 2, 3x3 stride-1 stem, no max-pool, fc=Identity; float64, train mode; output = model(input); grads of sum(output * probe)" % (torchvision.__version__, torch.__version__),
  "width": 2,
  "state_dict": sd_before,
  "input": x.tolist(), "output": out.tolist(), "probe": R.tolist(),
  "state_dict_after_forward": {k: v.tolist() for k, v in m.state_dict().items() if "running" in k or "num_batches" in k},
  "grads": {k: p.grad.tolist() for k, p in m.named_parameters()},
}
json.dump(res, open("flink-job/src/test/resources/oracle/resnet_small_stem.json", "w"))
