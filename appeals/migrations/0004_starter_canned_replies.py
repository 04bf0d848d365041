"""Starter canned replies, not yet reviewed: a supervisor reads and marks them
reviewed (admin action) before any case page offers them."""

from django.db import migrations

STARTERS = [
    ("appeal", "Limit lifted after review",
     "我们重新核查了您的申诉，确认限制有误，现已解除。给您带来不便，深表歉意。",
     "We reviewed your appeal again and found the limit was wrong; it is now lifted. "
     "We are sorry for the trouble."),
    ("appeal", "Limit stays: rule broken",
     "我们核查了您的申诉和所附材料。该内容违反了社区规则，因此限制将保留。"
     "您可以在限制页面查看具体规则。",
     "We checked your appeal and what you sent. The content breaks the community rules, so "
     "the limit stays. The limit's page names the rule."),
    ("appeal", "Need more information",
     "为了继续核查，请补充能够证明您说法的材料（例如原始文件或截图），直接在本页回复即可。",
     "To continue, please send something that supports what you say (for example the original "
     "file or a screenshot). Reply on this page."),
    ("support", "We are looking into it",
     "感谢您的留言。我们正在处理您的问题，有进展会在本页回复您。",
     "Thank you for writing. We are looking into your question and will answer on this page."),
    ("support", "Answered: anything else?",
     "希望以上回答对您有帮助。如还有其他问题，请在本页继续留言。",
     "We hope this answers your question. If anything is still unclear, write again here."),
]


def add_starters(apps, schema_editor):
    Macro = apps.get_model("appeals", "Macro")
    for kind, title, body_zh_hans, body_en in STARTERS:
        Macro.objects.get_or_create(kind=kind, title=title, defaults={
            "body_zh_hans": body_zh_hans, "body_en": body_en})


def remove_starters(apps, schema_editor):
    Macro = apps.get_model("appeals", "Macro")
    Macro.objects.filter(title__in=[title for _k, title, _z, _e in STARTERS],
                         approved_by__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [("appeals", "0003_canned_replies")]

    operations = [migrations.RunPython(add_starters, remove_starters)]
