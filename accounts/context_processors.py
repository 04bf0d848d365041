"""Template context every page needs: the bell's unread count."""

from .selectors import unread_notice_count


def portal(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy, so pages that do not show the bell do not pay for the query.
    return {"unread_notice_count": lambda: unread_notice_count(user)}
