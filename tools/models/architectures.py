"""The shipped model architectures. Module names become the ONNX node and tensor names."""
import math

import torch
from torch import nn


class MnistCnn(nn.Module):
    """Four conv blocks, global average pooling and one linear layer, so CAM applies directly:
    the class score is a weighted sum of conv4's channel means."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.relu2 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)                      # 28 → 14
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(64)
        self.relu3 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)                      # 14 → 7
        self.conv4 = nn.Conv2d(64, 64, 3, padding=1)
        self.bn4 = nn.BatchNorm2d(64)
        self.relu4 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.pool1(self.relu2(self.bn2(self.conv2(x))))
        x = self.pool2(self.relu3(self.bn3(self.conv3(x))))
        x = self.relu4(self.bn4(self.conv4(x)))
        return self.fc(self.flatten(self.gap(x)))


class Attention(nn.Module):
    """Multi-head self-attention written out so the attention probabilities are one explicit
    Softmax node in the exported graph (what attention rollout reads)."""

    def __init__(self, dim, heads, tokens):
        super().__init__()
        self.dim = dim
        self.tokens = tokens
        self.heads = heads
        self.head_dim = dim // heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.softmax = nn.Softmax(dim=-1)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        # Sizes come from the configuration, not from x.shape, so the exported graph has constant
        # reshapes instead of shape arithmetic; only the batch dimension is dynamic (-1).
        qkv = self.qkv(x).reshape(-1, self.tokens, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = self.softmax(torch.matmul(q, k.transpose(-2, -1)) * self.scale)   # [b, heads, n, n]
        out = torch.matmul(attn, v).transpose(1, 2).reshape(-1, self.tokens, self.dim)
        return self.proj(out)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_dim, tokens):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, tokens)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.gelu(self.fc1(self.norm2(x))))


class MnistVit(nn.Module):
    """4×4 patches → 7×7 = 49 tokens plus a class token, pre-norm transformer blocks."""

    def __init__(self, dim=64, depth=4, heads=4, mlp_dim=128, patch=4):
        super().__init__()
        self.dim = dim
        self.patches = (28 // patch) ** 2
        self.patch_embed = nn.Conv2d(1, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + self.patches, dim))
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_dim, 1 + self.patches) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
        x = self.patch_embed(x).reshape(-1, self.dim, self.patches).transpose(1, 2)   # [b, 49, dim]
        # Broadcasting the class token against a slice of x keeps the batch size out of the graph's arithmetic.
        cls = self.cls_token + torch.zeros_like(x[:, :1, :])
        x = torch.cat([cls, x], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x)[:, 0])
