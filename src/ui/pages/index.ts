/** Every page of the UI, registered on import (the order of nav entries is each page's `nav.order`). */
import './models.js';
import './promotions.js';
import './history.js';
import './policy.js';
import './model.js';
import './version.js';
import './compare.js';
