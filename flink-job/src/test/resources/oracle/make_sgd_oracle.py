# Generates flink-job/src/test/resources/oracle/sgd_oracle.json with torch.optim.SGD as main_dino.py
# builds it for --optimizer sgd: SGD(utils.get_params_groups(student), lr=0, momentum=0.9), and
# per iteration lr set on every group and weight_decay on group 0 only (the regularised one).
import json, torch

torch.manual_seed(20240601)
shapes = {"conv.weight": (3, 2, 2, 2), "conv.bias": (3,), "bn.weight": (3,), "last_layer.weight": (4, 3)}
params = {k: torch.randn(*s, dtype=torch.float64, requires_grad=True) for k, s in shapes.items()}
regularized = [k for k, p in params.items() if not k.endswith(".bias") and p.dim() > 1]
groups = [{"params": [params[k] for k in regularized]},
          {"params": [params[k] for k in params if k not in regularized], "weight_decay": 0.0}]
opt = torch.optim.SGD(groups, lr=0, momentum=0.9)
initial = {k: p.detach().tolist() for k, p in params.items()}
steps = []
for it in range(4):
    lr, wd = 0.03 * (1 - 0.1 * it), 1e-4 * (1 + it)
    grads = {k: torch.randn(*s, dtype=torch.float64) for k, s in shapes.items()}
    if it == 0:
        del grads["last_layer.weight"]  # cancel_gradients_last_layer: p.grad = None
    for i, g in enumerate(opt.param_groups):
        g["lr"] = lr
        if i == 0:
            g["weight_decay"] = wd
    opt.zero_grad(set_to_none=True)
    for k, g in grads.items():
        params[k].grad = g.clone()
    opt.step()
    steps.append({"lr": lr, "weight_decay": wd, "grads": {k: g.tolist() for k, g in grads.items()},
                  "params_after": {k: p.detach().tolist() for k, p in params.items()},
                  "momentum_buffers_after": {k: opt.state[p]["momentum_buffer"].tolist()
                                             for k, p in params.items() if "momentum_buffer" in opt.state[p]}})
json.dump({"generator": "torch %s torch.optim.SGD(momentum=0.9), DINO's two parameter groups, float64, seed 20240601" % torch.__version__,
           "regularized": regularized, "initial": initial, "steps": steps},
          open("flink-job/src/test/resources/oracle/sgd_oracle.json", "w"))
