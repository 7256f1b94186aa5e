"""The artwork app's pages: uploading (upload) and the galleries, pictures and their editing (gallery)."""
