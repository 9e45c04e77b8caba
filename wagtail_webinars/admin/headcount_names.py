"""URL names of the Event headcount report and its actions.

Apart from the views so that every admin module can link to any other without
importing it (``headcount_urls.py`` maps them to the views).
"""

URL_NAMESPACE = "wagtail_webinars_headcount"
EVENT_LIST_URL_NAME = f"{URL_NAMESPACE}:index"
EVENT_REPORT_URL_NAME = f"{URL_NAMESPACE}:event"
CHECK_IN_URL_NAME = f"{URL_NAMESPACE}:check_in"
REGISTRATION_CHECK_IN_URL_NAME = f"{URL_NAMESPACE}:registration_check_in"
UNMATCHED_ACTION_URL_NAME = f"{URL_NAMESPACE}:unmatched_action"
UNMATCHED_LINK_URL_NAME = f"{URL_NAMESPACE}:unmatched_link"
UNMATCHED_REGISTER_URL_NAME = f"{URL_NAMESPACE}:unmatched_register"
DOOR_LIST_URL_NAME = f"{URL_NAMESPACE}:door_list"
