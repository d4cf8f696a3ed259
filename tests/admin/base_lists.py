"""A small base policy the admin tests layer on, so they never hang on the shipped lists.

Only the ids the policy itself names (facebook, instagram, snapchat, tiktok, x) match the
shipped lists; the rest are this file's own.
"""

from __future__ import annotations

from pathlib import Path

BASE_LISTS = """\
platforms:
  - id: facebook
    name: Facebook
    category: social_media
    domains: [facebook.com, fbcdn.net]
    rules:
      - {activity: direct_message, paths: [/messages]}
      - {activity: signup, paths: [/r.php, /signup]}
  - id: instagram
    name: Instagram
    category: social_media
    domains: [instagram.com, cdninstagram.com]
    rules:
      - {activity: direct_message, paths: [/direct]}
      - {activity: signup, paths: [/accounts/emailsignup]}
      - {activity: comment, methods: [POST], paths: [/api/v1/web/comments]}
  - id: snapchat
    name: Snapchat
    category: social_media
    domains: [snapchat.com]
    rules:
      - {activity: direct_message, paths: [/web]}
  - id: tiktok
    name: TikTok
    category: social_media
    domains: [tiktok.com, tiktokcdn.com]
    rules:
      - {activity: direct_message, paths: [/messages]}
      - {activity: signup, paths: [/signup]}
  - id: x
    name: X (Twitter)
    category: social_media
    domains: [x.com, twitter.com]
    rules:
      - {activity: direct_message, paths: [/messages]}
  - id: videotube
    name: VideoTube
    category: social_media
    domains: [videotube.example, vt.example]
    rules:
      - {activity: comment, methods: [POST], paths: [/api/comment/create_comment]}
  - id: snapshare
    name: SnapShare
    category: social_media
    domains: [snapshare.example]
  - id: mathlab
    name: MathLab
    category: educational
    domains: [mathlab.example]
  - id: classchat
    name: ClassChat
    category: district_platform
    domains: [classchat.example]
"""


def write_base_lists(folder: Path) -> Path:
    path = folder / "base_lists.yaml"
    path.write_text(BASE_LISTS, encoding="utf-8")
    return path
