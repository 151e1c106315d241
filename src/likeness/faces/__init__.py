"""Face detection, landmarks, head pose and identity embeddings."""

from .analysis import analyze, mesh_for, meshed, pose_from_mesh
from .identity import distance, embed_face

__all__ = ["analyze", "distance", "embed_face", "mesh_for", "meshed", "pose_from_mesh"]
