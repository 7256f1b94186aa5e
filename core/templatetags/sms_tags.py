"""For text messages (templates/sms/): ``{% when_text end=None as when %}`` renders sms/_when.txt ("Wednesday
16 Dec, 9:30am, St Bartholomew's Church Hall") from the text's own context, so that a sentence can hold
it whole: ``{% blocktranslate %}… from {{ when }}.{% endblocktranslate %}`` lets each language put the
day where its grammar wants it. Rendered as the text is, at each try (names shortened in between)."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def when_text(context: template.Context, **overrides: object) -> str:
    assert context.template is not None  # a tag is rendered inside a template
    with context.push(**overrides):
        return context.template.engine.get_template("sms/_when.txt").render(context)
