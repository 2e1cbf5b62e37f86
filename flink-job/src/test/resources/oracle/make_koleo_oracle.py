# Generates flink-job/src/test/resources/oracle/koleo_oracle.json with DINOv2's KoLeoLoss
# (facebookresearch/dinov2, dinov2/loss/koleo_loss.py; its class body copied verbatim below).
import json, torch, torch.nn as nn, torch.nn.functional as F


class KoLeoLoss(nn.Module):
    """Kozachenko-Leonenko entropic loss regularizer from Sablayrolles et al. - 2018 - Spreading vectors for similarity search"""

    def __init__(self):
        super().__init__()
        self.pdist = nn.PairwiseDistance(2, eps=1e-8)

    def pairwise_NNs_inner(self, x):
        """
        Pairwise nearest neighbors for L2-normalized vectors.
        Uses Torch rather than Faiss to remain on GPU.
        """
        # parwise dot products (= inverse distance)
        dots = torch.mm(x, x.t())
        n = x.shape[0]
        dots.view(-1)[:: (n + 1)].fill_(-1)  # Trick to fill diagonal with -1
        # max inner prod -> min distance
        _, I = torch.max(dots, dim=1)  # noqa: E741
        return I

    def forward(self, student_output, eps=1e-8):
        """
        Args:
            student_output (BxD): backbone output of student
        """
        with torch.cuda.amp.autocast(enabled=False):
            student_output = F.normalize(student_output, eps=eps, p=2, dim=-1)
            I = self.pairwise_NNs_inner(student_output)  # noqa: E741
            distances = self.pdist(student_output, student_output[I])  # BxD, BxD -> B
            loss = -torch.log(distances + eps).mean()
        return loss


torch.manual_seed(20240601)
koleo = KoLeoLoss()
cases = []
for b, d, scale in [(6, 5, 1.0), (16, 8, 3.0)]:
    x = (torch.randn(2 * b, d, dtype=torch.float64) * scale).requires_grad_(True)
    # DINOv2 train/ssl_meta_arch.py: sum over the chunks of the global views, times the weight
    weight = 0.1
    loss = weight * sum(koleo(p) for p in x.chunk(2))
    loss.backward()
    cases.append({"views": 2, "batch": b, "dim": d, "weight": weight, "features": x.tolist(),
                  "loss": loss.item(), "grad": x.grad.tolist()})
json.dump({"generator": "dinov2 KoLeoLoss, torch %s, float64, seed 20240601: loss = weight * sum over the 2 view chunks of KoLeoLoss(chunk); grad of loss w.r.t. features" % torch.__version__,
           "cases": cases}, open("flink-job/src/test/resources/oracle/koleo_oracle.json", "w"))
