from flask import jsonify, request

from app.blueprints.payments.routes import bp
from app.services.payments import topups
from app.web.security import csrf_exempt
from app.web.work import unit_of_work


@bp.post("/webhook/stripe")
@unit_of_work
@csrf_exempt
def stripe_webhook():
    # The signature covers the raw bytes: read them before anything parses the body.
    result = topups.handle_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    return jsonify(result), 200
