# Makes vectors.json: fixed inputs and outputs of the SuperTokens core's formats,
# computed with Python's hashlib and the "cryptography" package (not Go), by
# following the core's source as docs/supertokens-core-formats.md describes it.
# The Go tests in internal/stcore check their decoder against these values.
# Run: python3 vectors.py > vectors.json (the RSA key is new on each run).
import base64, hashlib, json
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.asymmetric import rsa, padding
from cryptography.hazmat.primitives import hashes, serialization

def h(s): return hashlib.sha256(s.encode()).hexdigest()

# the refresh-token key: "<iterations>:<hex salt>:<hex pbkdf2>", used whole as a password
salt = bytes(range(64))
random = bytes(range(64, 128))
derived = hashlib.pbkdf2_hmac("sha512", random.hex().encode(), salt, 1000, 64)
key = "1000:" + salt.hex() + ":" + derived.hex()

parent = "parent-refresh-token-text"
nonce = h("4b3c6a63-7f6e-4d8a-9a51-0c2e8d1f7a90")
# field order and escaping as Gson writes them
payload = ('{"sessionHandle":"0b8ad1f4-2c1e-4a57-8d0e-5f7c9b1e3a22_tenant1","userId":"user-42",'
           '"parentRefreshTokenHash1":"%s","nonce":"%s","antiCsrfToken":"7c0e5c2a-1d3b-4c8e-9f00-aa11bb22cc33",'
           '"tenantId":"tenant1"}') % (h(parent), nonce)
iv = bytes.fromhex("00112233445566778899aabb")
aes_key = hashlib.pbkdf2_hmac("sha512", key.encode(), iv, 100, 32)
sealed = iv + AESGCM(aes_key).encrypt(iv, payload.encode(), None)
token = base64.b64encode(sealed).decode() + "." + nonce + ".V2"

priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
pub_der = priv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
priv_der = priv.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
key_string = base64.b64encode(pub_der).decode() + "|" + base64.b64encode(priv_der).decode()

def sign(text): return priv.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())

# a version 2 access token: fixed header text, standard Base64 everywhere
hdr2 = base64.b64encode(b'{"alg":"RS256","typ":"JWT","version":"2"}').decode()
body2 = ('{"userId":"user-42","expiryTime":4102444800000,"timeCreated":1767225600000,'
         '"sessionHandle":"0b8ad1f4-2c1e-4a57-8d0e-5f7c9b1e3a22","refreshTokenHash1":"%s",'
         '"antiCsrfToken":"anti","userData":{"role":"admin"}}') % h("rt")
at2 = hdr2 + "." + base64.b64encode(body2.encode()).decode()
at2 += "." + base64.b64encode(sign(at2)).decode()

def b64u(b): return base64.urlsafe_b64encode(b).decode().rstrip("=")
hdr5 = b64u(b'{"kid":"d-1767225600000","typ":"JWT","version":"5","alg":"RS256"}')
body5 = ('{"sub":"primary-1","exp":4102444800,"iat":1767225600,"tId":"tenant1","rsub":"recipe-1",'
         '"sessionHandle":"0b8ad1f4-2c1e-4a57-8d0e-5f7c9b1e3a22_tenant1","refreshTokenHash1":"%s",'
         '"parentRefreshTokenHash1":null,"antiCsrfToken":null,"role":"admin","n":1}') % h("rt")
at5 = hdr5 + "." + b64u(body5.encode())
at5 += "." + b64u(sign(at5))

print(json.dumps({
    "refreshKey": key, "refreshToken": token, "refreshTokenHash2": h(h(token)),
    "parentHash1": h(parent), "parentHash2": h(h(parent)), "nonce": nonce,
    "keyString": key_string, "accessTokenV2": at2, "accessTokenV5": at5,
    "refreshTokenHash1": h("rt"),
}, indent=1))
