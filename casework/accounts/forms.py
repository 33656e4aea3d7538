from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.com"),
        ],
    )
    password = PasswordField("Password", validators=[DataRequired("Enter your password"), Length(max=1024)])
