// Word lists for the weak rules. Kept short and explicit so that a reviewer
// can see exactly what is judged weak; the lists are compared after
// lower-casing and undoing common letter-for-symbol swaps (P@ssw0rd).

/**
 * Passwords that attack tools try first: the top of the public breach lists
 * plus the defaults that database and broker images and their docs ship with
 * (postgres, guest, minioadmin, mysecretpassword, randompassword ...).
 */
export const COMMON_PASSWORDS = new Set([
  'password', 'passw0rd', 'pass', 'passwd', 'secret', 'admin', 'administrator', 'root', 'toor', 'guest', 'user',
  'test', 'tester', 'testing', 'demo', 'default', 'changeit', 'letmein', 'welcome', 'login', 'master', 'qwerty',
  'qwertyuiop', 'asdfgh', 'asdfghjkl', 'zxcvbnm', '1q2w3e4r', '1qaz2wsx', 'qazwsx', 'abc123', 'iloveyou', 'monkey',
  'dragon', 'sunshine', 'princess', 'football', 'baseball', 'superman', 'batman', 'trustno1', 'shadow', 'michael',
  'hunter2', 'starwars', 'whatever', 'freedom', 'access', 'hello', 'charlie', 'donald', 'mustang', 'summer',
  'winter', 'spring', 'autumn', 'postgres', 'postgresql', 'mysql', 'mariadb', 'redis', 'mongo', 'mongodb',
  'rabbitmq', 'rabbit', 'minio', 'minioadmin', 'elastic', 'changeme', 'mysecretpassword', 'randompassword',
  'supersecret', 'topsecret', 'notasecret', 'sa', 'oracle', 'database', 'db', 'pgpass', 'dbpass', 'dbpassword',
])

/**
 * Secrets that tutorials, framework docs and scaffolds ship with: an app
 * using one of them signs tokens or sessions with a value anyone can look up.
 */
export const DEV_DEFAULT_SECRETS = new Set([
  'secret', 'secrets', 'password', 'default', 'admin', 'test', 'testing', 'dev', 'development', 'local', 'debug',
  'devsecret', 'mysecret', 'mysecretkey', 'secretkey', 'supersecret', 'supersecretkey', 'topsecret', 'keyboardcat',
  's3cr3t', 'jwtsecret', 'jwtsecretkey', 'jwtkey', 'sessionsecret', 'cookiesecret', 'appsecret', 'appkey', 'apikey',
  'notasecret', 'insecure', 'unsafe', 'shhh', 'shh', 'token', 'key', 'private', 'privatekey', 'signingkey',
  'encryptionkey', 'mykey', 'mytoken', 'mypassword', 'letmein', 'qwerty', 'abc123', 'hunter2', 'demo', 'demokey',
])

/** Undo the usual letter-for-symbol swaps so that P@ssw0rd and p4ssword compare as "password". */
export function unleet(value: string): string {
  return value
    .toLowerCase()
    .replace(/[@4]/g, 'a')
    .replace(/3/g, 'e')
    .replace(/[1!|]/g, 'i')
    .replace(/0/g, 'o')
    .replace(/[5$]/g, 's')
    .replace(/7/g, 't')
}

/** The value reduced to letters and digits, lower case: "Keyboard Cat" → "keyboardcat". */
export function squash(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]+/g, '')
}
