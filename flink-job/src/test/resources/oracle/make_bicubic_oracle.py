# Generates flink-job/src/test/resources/oracle/bicubic_weights.json: the weights torch's
# F.interpolate(mode='bicubic', align_corners=False, scale_factor=(n_out + 0.1) / n) gives one axis of
# n samples, as DINO's interpolate_pos_encoding calls it (torch 1.13, float64). Row i of "weights" is
# output i as a combination of the n inputs: interpolating the identity along that axis.
import json, torch, torch.nn.functional as F
cases = []
for n, out in [(8, 4), (8, 8), (14, 6), (4, 8), (2, 1), (14, 28)]:
    factor = (out + 0.1) / n
    eye = torch.eye(n, dtype=torch.float64).reshape(1, n, n, 1)   # channel c holds the c-th unit vector
    y = F.interpolate(eye, scale_factor=(factor, 1.0), mode='bicubic')
    cases.append({"in": n, "scale_factor": factor, "out": out, "weights": y[0, :, :, 0].T.tolist()})
json.dump({"torch": torch.__version__, "cases": cases}, open("bicubic_weights.json", "w"))
